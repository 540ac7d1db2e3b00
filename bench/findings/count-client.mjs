// The bare client of bench/findings/tail-cpu-ab.mjs: subscribes, counts N
// event frames with the `ws` client (a `message` event each), closes, exits.
//
//   node bench/findings/count-client.mjs URL N
import WebSocket from 'ws';

const [url, countText] = process.argv.slice(2);
const count = Number(countText);
const ws = new WebSocket(url, { perMessageDeflate: false });
let seen = 0;
ws.on('open', () => ws.send('{"type":"subscribe"}'));
ws.on('message', (data) => {
  // Control frames start with {"type": events are everything else.
  if (data[2] === 0x74 && data[3] === 0x79 && data[1] === 0x22) return;
  if (++seen === count) ws.close(1000, 'done');
});
ws.on('close', () => process.exit(seen >= count ? 0 : 1));
