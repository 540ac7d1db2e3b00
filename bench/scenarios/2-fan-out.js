// 2. Fan-out: 1, 10, 100 and 1000 counting clients (another process) on one
// server; deliveries/s in total, server CPU and RSS, CPU per delivery.
// The server is serve's own (startServer from the build, in a worker process)
// fed at max rate the way `serve --rate max` feeds it (256 events back to
// back per event-loop turn), from a fixed pool of events so that the figure
// is the server's, not the simulator's. The feed starts once every client is
// connected. Baseline: the raw `ws` server pumping to the same clients.
import { startWorker } from '../lib/children.js';
import { measureGroup } from '../lib/measure.js';
import { judge } from '../lib/report.js';

const COUNTS = [1, 10, 100, 1000];

async function sweep(clients, url, pid, { warmMs, windowMs, log, label, pump }) {
  const results = {};
  for (const count of COUNTS) {
    const group = `${label}-${count}`;
    const opened = await clients.call({ cmd: 'open', group, url, count, impl: 'tcp', concurrency: 50 }, 60000);
    if (opened.opened !== count) throw new Error(`${label}: only ${opened.opened} of ${count} clients connected (${opened.errors.join('; ')})`);
    await pump?.(true);
    const m = await measureGroup({ clients, group, serverPid: pid, warmMs, windowMs });
    await pump?.(false);
    await clients.call({ cmd: 'close', group });
    m.cpuMicrosPerDelivery = (m.serverCpuSeconds / m.deliveries) * 1e6;
    results[count] = m;
    log(`  ${label} ${count} clients: ${Math.round(m.eventsPerSec)} deliveries/s, cpu ${m.serverCpu.toFixed(2)}, ${m.cpuMicrosPerDelivery.toFixed(2)} us/delivery`);
  }
  return results;
}

export default {
  id: 2,
  name: 'fan-out',
  async run(context) {
    const clients = await startWorker('clients.js');
    try {
      const serve = await startWorker('server.js', { kind: 'serve' });
      let serveResults;
      try {
        serveResults = await sweep(clients, serve.ready.url, serve.pid, { ...context, label: 'serve', pump: (on) => serve.call({ cmd: 'pump', on }) });
      } finally {
        await serve.stop();
      }
      const raw = await startWorker('server.js', { kind: 'raw', highWaterMark: 16 * 1024 });
      let rawResults;
      try {
        rawResults = await sweep(clients, raw.ready.url, raw.pid, { ...context, label: 'raw', pump: (on) => raw.call({ cmd: 'pump', on }) });
      } finally {
        await raw.stop();
      }
      const rows = COUNTS.map((count) => {
        const s = serveResults[count];
        const row = {
          figure: `${count} clients: deliveries/s`,
          value: s.eventsPerSec,
          unit: '/s',
          baseline: rawResults[count].eventsPerSec,
          baselineLabel: 'raw ws server',
          ratio: s.eventsPerSec / rawResults[count].eventsPerSec,
          target: count >= 100 ? '>= 500k/s' : '',
          note: `serve cpu ${s.serverCpu.toFixed(2)}, rss ${(s.serverRssBytes / 2 ** 20).toFixed(0)} MiB, ${s.cpuMicrosPerDelivery.toFixed(2)} us cpu/delivery`,
        };
        row.pass = count >= 100 ? judge(row, { op: '>=', limit: 500_000 }) : null;
        return row;
      });
      const costRow = {
        figure: 'cpu per delivery, 1000 vs 10 clients',
        value: serveResults[1000].cpuMicrosPerDelivery,
        unit: 'us',
        baseline: serveResults[10].cpuMicrosPerDelivery,
        baselineLabel: 'at 10 clients',
        ratio: serveResults[1000].cpuMicrosPerDelivery / serveResults[10].cpuMicrosPerDelivery,
        target: '<= 1.5x',
      };
      costRow.pass = judge(costRow, { on: 'ratio', op: '<=', limit: 1.5 });
      rows.push(costRow);
      return { rows, details: { serve: serveResults, raw: rawResults } };
    } finally {
      await clients.stop();
    }
  },
};
