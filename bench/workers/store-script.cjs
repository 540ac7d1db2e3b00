// The store's physical limit for scenario 9: a plain better-sqlite3 script that prints the
// rows `tail --store FILE --since T --no-follow -o ndjson` prints, byte for byte.
// usage: node store-script.cjs FILE SINCE_UNIX_SECONDS > out
const Database = require(require.resolve('better-sqlite3', { paths: [process.cwd()] }));
const db = new Database(process.argv[2], { readonly: true });
const rows = db
  .prepare("SELECT event_type, data FROM events WHERE json_extract(data, '$.occurred_at') >= ? ORDER BY global_position")
  .raw(true);
let chunk = '';
let n = 0;
for (const [type, data] of rows.iterate(Number(process.argv[3]))) {
  // `{"_version": 1, ` dropped, `event_type` put in front: the socket's line.
  chunk += `{"event_type": ${JSON.stringify(type)}, ${data.slice(data.indexOf(', ') + 2)}\n`;
  if (++n % 1000 === 0) {
    process.stdout.write(chunk);
    chunk = '';
  }
}
process.stdout.write(chunk);
