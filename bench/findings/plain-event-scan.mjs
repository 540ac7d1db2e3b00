// Finding (issue 15): the cheapest validation that keeps tail's promise that a
// malformed frame never reaches stdout, for the NDJSON fast path. Compares,
// per event frame as the socket delivers it (a Buffer), CPU time of:
//   full       - what the full path does: isUtf8, toString, JSON.parse and the
//                event check (decodeServerFrame), then the line check
//   scan       - isUtf8 and the grammar-only byte scanner of
//                src/protocol/plain-event.ts (no string, no object)
//   isUtf8     - the UTF-8 check alone (a floor for any validation)
// on serve --rate max's own events (the built simulator's frames) and on the
// harness's events, 8 rounds interleaved, medians.
//
//   npm run build && node bench/findings/plain-event-scan.mjs
import { isUtf8 } from 'node:buffer';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { makeSerializedPool } from '../lib/events.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const load = (relative) => import(pathToFileURL(join(root, 'dist', ...relative.split('/'))).href);
const { scanPlainEvent } = await load('protocol/plain-event.js');
const { decodeServerFrame } = await load('protocol/decode.js');
const { toNdjsonLine } = await load('tail/sinks/ndjson-sink.js');

const out = { idStart: -1, idEnd: -1 };
const pools = { harness: makeSerializedPool(4096) };
try {
  // The frames serve --rate max sends (payloads of the max-rate generator), when the build has it.
  const { createFleetSimulator } = await load('sources/fleet/simulator.js');
  const { createMaxRateGenerator } = await load('sources/fleet/max-rate.js');
  const generator = createMaxRateGenerator(createFleetSimulator({ servers: 5, seed: 1, startMs: 0 }), 1);
  pools.serve = Array.from({ length: 4096 }, (_, i) => Buffer.from(JSON.stringify(generator.next(1796115592.392 + i / 1e6))));
} catch (error) {
  console.log(`(serve's own events not available: ${error.message})`);
}

const candidates = {
  full: (b) => {
    if (!isUtf8(b)) return 0;
    const text = b.toString('utf8');
    const decoded = decodeServerFrame(text);
    return decoded.ok && decoded.value.kind === 'event' ? toNdjsonLine(text).length : 0;
  },
  scan: (b) => (isUtf8(b) && scanPlainEvent(b, out) ? out.idEnd - out.idStart : 0),
  isUtf8: (b) => (isUtf8(b) ? 1 : 0),
};

for (const [name, pool] of Object.entries(pools)) {
  for (const b of pool) if (!scanPlainEvent(b, out)) throw new Error(`not plain: ${b}`);
  const bytes = pool.reduce((n, b) => n + b.length, 0) / pool.length;
  const results = {};
  for (let round = 0; round < 8; round++) {
    for (const [label, fn] of Object.entries(candidates)) {
      let sink = 0;
      const before = process.cpuUsage();
      for (let k = 0; k < 50; k++) for (const b of pool) sink += fn(b);
      const used = process.cpuUsage(before);
      (results[label] ??= []).push((used.user + used.system) / (50 * pool.length));
      if (sink === 0) throw new Error('nothing measured');
    }
  }
  console.log(`${name} events (${pool.length}, ${bytes.toFixed(0)} B on average):`);
  for (const [label, values] of Object.entries(results)) {
    values.sort((a, b) => a - b);
    console.log(`  ${label.padEnd(7)} median ${values[4].toFixed(3)} us  (min ${values[0].toFixed(3)})  CPU per event`);
  }
}
