// The baseline for `tail -n N -o ndjson URL | cat`: a bare `ws` client that
// subscribes, writes the first N event frames to stdout as lines (gathered
// per turn, one write each), then closes with a close handshake and exits.
// It does what tail does at its simplest, with no validation at all.
//
//   node bench/workers/raw-tail.js URL N
import WebSocket from 'ws';

const [url, countText] = process.argv.slice(2);
const count = Number(countText);
const ws = new WebSocket(url, { perMessageDeflate: false });
let shown = 0;
let pending = [];
let scheduled = false;
const flush = () => {
  scheduled = false;
  if (pending.length > 0) process.stdout.write(Buffer.concat(pending));
  pending = [];
};
ws.on('error', (error) => {
  process.stderr.write(`raw-tail: ${error.message}\n`);
  process.exitCode = 1;
});
ws.on('open', () => ws.send('{"type":"subscribe"}'));
ws.on('message', (data) => {
  if (shown >= count) return;
  // Control frames start with {"type": events are everything else.
  if (data[2] === 0x74 && data[3] === 0x79 && data[1] === 0x22) return;
  pending.push(data, Buffer.from('\n'));
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
  if (++shown === count) {
    flush();
    ws.close(1000, 'done');
  }
});
ws.on('close', () => flush());
