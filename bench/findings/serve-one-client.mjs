// Scenario 1's serve row, taken apart (issue 24, round five): `serve --rate max` of one or more builds and
// the raw ws server (same payload size) to one `ws` client, taking turns, per round: events/s, each side's
// CPU (share of a core and us per event, /proc), the drops the client was told of, the load average.
// node bench/findings/serve-one-client.mjs ROUNDS 'name|cli path[|node args]' ... [raw]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { startWorker, waitForLine, stop } from '../lib/children.js';
import { sampleProcess, cpuFraction } from '../lib/procfs.js';
import { median } from '../lib/stats.js';

const [roundsArg, ...specs] = process.argv.slice(2);
const warmMs = Number(process.env.WARM_MS ?? 1500);
const windowMs = Number(process.env.WINDOW_MS ?? 3000);
const variants = specs.map((spec) => {
  const [name, cli, nodeArgs = ''] = spec.split('|');
  return { name, cli, nodeArgs: nodeArgs ? nodeArgs.split(' ') : [], runs: [] };
});
const clients = await startWorker('clients.js');
let payloadBytes = 413;

async function measure(group, serverPid) {
  await new Promise((r) => setTimeout(r, warmMs));
  const a = await clients.call({ cmd: 'snapshot', group });
  const s0 = sampleProcess(serverPid);
  const c0 = sampleProcess(clients.pid);
  await new Promise((r) => setTimeout(r, windowMs));
  const b = await clients.call({ cmd: 'snapshot', group });
  const s1 = sampleProcess(serverPid);
  const c1 = sampleProcess(clients.pid);
  const seconds = (s1.atMs - s0.atMs) / 1000;
  const events = b.events - a.events;
  return {
    rate: events / seconds,
    serverCpu: cpuFraction(s0, s1),
    serverUs: ((s1.cpuSeconds - s0.cpuSeconds) / events) * 1e6,
    clientCpu: cpuFraction(c0, c1),
    clientUs: ((c1.cpuSeconds - c0.cpuSeconds) / events) * 1e6,
    dropped: b.dropped - a.dropped,
    bytesPerEvent: (b.bytes - a.bytes) / events,
    load: loadavg()[0],
  };
}

try {
  for (let round = 0; round < Number(roundsArg); round++) {
    for (const v of variants) {
      const group = `${v.name}-${round}`;
      let m;
      if (v.name.startsWith('raw')) {
        // raw: the bench's baseline (64 KiB written per turn); rawN: N KiB per turn (what one write costs).
        const kib = Number(v.name.slice(3)) || 64;
        const raw = await startWorker('server.js', { kind: 'raw', payloadBytes, highWaterMark: kib * 1024 });
        try {
          await clients.call({ cmd: 'open', group, url: raw.ready.url, count: 1, impl: 'ws' });
          await raw.call({ cmd: 'pump', on: true });
          m = await measure(group, raw.pid);
          await raw.call({ cmd: 'pump', on: false });
        } finally {
          await clients.call({ cmd: 'close', group });
          await raw.stop();
        }
      } else {
        const child = spawn(process.execPath, [...v.nodeArgs, v.cli, 'serve', '--port', '0', '--rate', 'max', '--seed', '1'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
        try {
          const url = (await waitForLine(child, /listening on (ws:\/\/\S+)/))[1];
          child.stderr.resume();
          await clients.call({ cmd: 'open', group, url, count: 1, impl: 'ws' });
          m = await measure(group, child.pid);
          payloadBytes = Math.round(m.bytesPerEvent);
        } finally {
          await clients.call({ cmd: 'close', group });
          await stop(child);
        }
      }
      v.runs.push(m);
      console.error(
        `round ${round} ${v.name.padEnd(8)} ${Math.round(m.rate / 1000)}k ev/s  server ${m.serverCpu.toFixed(2)} cpu ${m.serverUs.toFixed(2)} us/ev  client ${m.clientCpu.toFixed(2)} cpu ${m.clientUs.toFixed(2)} us/ev  dropped ${(100 * m.dropped / (m.dropped + m.rate * windowMs / 1000)).toFixed(1)}%  load ${m.load.toFixed(1)}`,
      );
    }
  }
} finally {
  await clients.stop();
}
const raw = variants.find((v) => v.name === 'raw');
for (const v of variants) {
  const med = (k) => median(v.runs.map((r) => r[k]));
  const ratios = raw && v !== raw ? v.runs.map((r, i) => r.rate / raw.runs[i].rate) : [];
  console.log(
    `${v.name}: median ${Math.round(med('rate') / 1000)}k ev/s, server ${med('serverUs').toFixed(2)} us/ev (${med('serverCpu').toFixed(2)} cpu), client ${med('clientUs').toFixed(2)} us/ev (${med('clientCpu').toFixed(2)} cpu)` +
      (ratios.length ? `; per-round ratio to raw ${ratios.map((x) => x.toFixed(2)).join(' / ')}, median ${median(ratios).toFixed(2)}` : ''),
  );
}
