// 8. Many clients on a busy server: 1000 counting clients (another process)
// connect to `serve --rate max` (the built CLI) while it publishes, each one
// stopping to read once subscribed (a consumer that fell behind), so the
// server meets ever more backed-up sockets; then all of them read for a window. Figures: the wall time to connect them all, deliveries/s and
// server CPU per delivery with all of them connected, and server RSS. The
// baselines run in the same invocation, interleaved with serve (round by
// round), and each figure is the median over the rounds:
//   raw ws server (send)   - a bare `ws` server calling ws.send per frame to
//                            each connection as fast as its socket drains;
//   raw ws server (framed) - the same, writing frames built once (the ceiling
//                            for a server that frames each event once).
import { startServeCli, startWorker, stop } from '../lib/children.js';
import { measureGroup } from '../lib/measure.js';
import { judge } from '../lib/report.js';
import { median } from '../lib/stats.js';

const CLIENTS = 1000;
/** The baselines send events of serve --rate max's average size (scenario 1 measures it: ~352 B). */
const EVENT_BYTES = 352;

/** Connects `count` clients to a server already publishing, reads for a window; the server is stopped after. */
async function runOne(clients, kind, { count, warmMs, windowMs, log }) {
  let server;
  let pid;
  let url;
  if (kind === 'serve') {
    server = await startServeCli(['--rate', 'max', '--seed', '1']);
    pid = server.pid;
    url = server.url;
  } else {
    server = await startWorker('server.js', { kind: 'raw', highWaterMark: 16 * 1024, framed: kind === 'framed', payloadBytes: EVENT_BYTES });
    pid = server.pid;
    url = server.ready.url;
    await server.call({ cmd: 'pump', on: true });
  }
  try {
    const group = `${kind}-${count}`;
    const t0 = performance.now();
    // Each client stops reading once subscribed, so the server meets ever more backed-up sockets while the others connect.
    const opened = await clients.call({ cmd: 'open', group, url, count, impl: 'tcp', concurrency: 50, pauseOnSubscribe: true }, 240000);
    const connectSeconds = (performance.now() - t0) / 1000;
    if (opened.opened !== count) throw new Error(`${kind}: only ${opened.opened} of ${count} clients connected (${opened.errors.join('; ')})`);
    // Then every client reads: what piled up in the socket buffers while paused drains first (well under 2 s).
    await clients.call({ cmd: 'resume', group });
    const m = await measureGroup({ clients, group, serverPid: pid, warmMs: Math.max(warmMs, 2000), windowMs });
    await clients.call({ cmd: 'close', group });
    const result = { connectSeconds, ...m, cpuMicrosPerDelivery: (m.serverCpuSeconds / m.deliveries) * 1e6 };
    log(
      `  ${kind}: ${count} clients connected in ${connectSeconds.toFixed(1)} s; ${Math.round(m.eventsPerSec)} deliveries/s, ` +
        `cpu ${m.serverCpu.toFixed(2)}, ${result.cpuMicrosPerDelivery.toFixed(2)} us/delivery, rss ${(m.serverRssBytes / 2 ** 20).toFixed(0)} MiB`,
    );
    return result;
  } finally {
    if (kind === 'serve') await stop(server.child);
    else await server.stop();
  }
}

function medianOf(runs, key) {
  return median(runs.map((run) => run[key]));
}

export default {
  id: 8,
  name: 'many clients',
  async run({ quick, warmMs, windowMs, fdLimit, log }) {
    let count = CLIENTS;
    if (Number.isFinite(fdLimit) && fdLimit - 200 < count) count = Math.max(100, fdLimit - 200);
    const rounds = quick ? 1 : 2;
    const runs = { serve: [], raw: [], framed: [] };
    const clients = await startWorker('clients.js');
    try {
      for (let round = 0; round < rounds; round++) {
        for (const kind of ['raw', 'serve', 'framed']) runs[kind].push(await runOne(clients, kind, { count, warmMs, windowMs, log }));
      }
    } finally {
      await clients.stop();
    }
    const serve = { connectSeconds: medianOf(runs.serve, 'connectSeconds'), eventsPerSec: medianOf(runs.serve, 'eventsPerSec'), rss: medianOf(runs.serve, 'serverRssBytes'), us: medianOf(runs.serve, 'cpuMicrosPerDelivery') };
    const raw = { connectSeconds: medianOf(runs.raw, 'connectSeconds'), eventsPerSec: medianOf(runs.raw, 'eventsPerSec'), rss: medianOf(runs.raw, 'serverRssBytes'), us: medianOf(runs.raw, 'cpuMicrosPerDelivery') };
    const framed = { connectSeconds: medianOf(runs.framed, 'connectSeconds'), eventsPerSec: medianOf(runs.framed, 'eventsPerSec'), rss: medianOf(runs.framed, 'serverRssBytes'), us: medianOf(runs.framed, 'cpuMicrosPerDelivery') };
    const of = `median of ${rounds}, interleaved`;
    const connectRow = {
      figure: `connect ${count} clients to serve --rate max`,
      value: serve.connectSeconds,
      unit: 's',
      baseline: raw.connectSeconds,
      baselineLabel: 'raw ws server',
      ratio: serve.connectSeconds / raw.connectSeconds,
      target: '<= 2x',
      note: `${of}; pre-framed server ${framed.connectSeconds.toFixed(1)} s`,
    };
    connectRow.pass = judge(connectRow, { on: 'ratio', op: '<=', limit: 2 });
    const fanOutRow = {
      figure: `${count} clients on serve --rate max: deliveries/s`,
      value: serve.eventsPerSec,
      unit: '/s',
      baseline: framed.eventsPerSec,
      baselineLabel: 'raw server, framed once',
      ratio: serve.eventsPerSec / framed.eventsPerSec,
      target: '>= 0.8x',
      note: `${of}; cpu/delivery ${serve.us.toFixed(2)} us (framed ${framed.us.toFixed(2)}, ws.send ${raw.us.toFixed(2)} us at ${Math.round(raw.eventsPerSec / 1000)}k/s)`,
    };
    fanOutRow.pass = judge(fanOutRow, { on: 'ratio', op: '>=', limit: 0.8 });
    const rssRow = {
      figure: `serve RSS with ${count} clients`,
      value: serve.rss / 2 ** 20,
      unit: 'MiB',
      baseline: raw.rss / 2 ** 20,
      baselineLabel: 'raw ws server',
      ratio: serve.rss / raw.rss,
      target: '<= 1.3x',
      note: `${of}; framed server ${(framed.rss / 2 ** 20).toFixed(0)} MiB`,
    };
    rssRow.pass = judge(rssRow, { on: 'ratio', op: '<=', limit: 1.3 });
    return { rows: [connectRow, fanOutRow, rssRow], details: { count, rounds, runs } };
  },
};
