// 3. Latency from publish to receipt: 100 clients at a fixed 2k events/s and
// 1000 clients at 100 events/s. The publisher runs inside the server process
// (startServer from the build) and stamps `sent_at_ns` (CLOCK_MONOTONIC) into
// each event; clients in another process read the same clock on receipt.
// Baseline: the raw `ws` server sending each published event to every client.
import { sleep, startWorker } from '../lib/children.js';
import { waitUntil } from '../lib/measure.js';
import { judge } from '../lib/report.js';

async function measure(kind, { clientCount, rate, durationMs, tickMs, settleMs }) {
  const server = await startWorker('server.js', { kind });
  const clients = await startWorker('clients.js');
  try {
    // Every client counts its events; one in ten also times them (enough samples, a lighter client process).
    const opened = await clients.call({ cmd: 'open', group: 'lat', url: server.ready.url, count: clientCount, impl: 'tcp', latency: true, latencyEvery: 10, concurrency: 50 }, 60000);
    if (opened.opened !== clientCount) throw new Error(`${kind}: only ${opened.opened} of ${clientCount} clients connected (${opened.errors.join('; ')})`);
    await sleep(200);
    const published = await server.call({ cmd: 'rate', rate, durationMs, tickMs }, durationMs + 30000);
    const expected = published.published * clientCount;
    const last = await waitUntil(
      async () => {
        const s = await clients.call({ cmd: 'snapshot', group: 'lat' });
        return s.events >= expected ? s : null;
      },
      { timeoutMs: settleMs },
    );
    const snapshot = last ?? (await clients.call({ cmd: 'snapshot', group: 'lat' }));
    return { ...snapshot.latency, published: published.published, delivered: snapshot.events, expected, warnings: snapshot.warnings };
  } finally {
    await clients.stop();
    await server.stop();
  }
}

export default {
  id: 3,
  name: 'latency',
  async run({ quick, log }) {
    const cases = [
      // The publisher wakes every tickMs and publishes what has come due (10 events, or 1):
      // a source of 2k events/s arrives in small bursts, not one timer per event.
      { clientCount: 100, rate: 2000, tickMs: 5, limitMs: 10, durationMs: quick ? 500 : 6000, settleMs: quick ? 2000 : 5000 },
      { clientCount: 1000, rate: 100, tickMs: 10, limitMs: 50, durationMs: quick ? 500 : 6000, settleMs: quick ? 2000 : 5000 },
    ];
    const rows = [];
    const details = {};
    for (const c of cases) {
      log(`  ${c.clientCount} clients at ${c.rate} events/s: serve, then raw ws server`);
      const serve = await measure('serve', c);
      const raw = await measure('raw', c);
      details[`${c.clientCount}@${c.rate}`] = { serve, raw };
      const row = {
        figure: `${c.clientCount} clients @ ${c.rate}/s: p99 publish->receipt`,
        value: serve.p99Ms,
        unit: 'ms',
        baseline: raw.p99Ms,
        baselineLabel: 'raw ws server',
        ratio: serve.p99Ms / raw.p99Ms,
        target: `< ${c.limitMs} ms`,
        note: `p50 ${serve.p50Ms.toFixed(2)} ms, max ${serve.maxMs.toFixed(1)} ms (raw: p50 ${raw.p50Ms.toFixed(2)}, max ${raw.maxMs.toFixed(1)}); delivered ${serve.delivered}/${serve.expected}, ${serve.warnings} drop warnings`,
      };
      row.pass = judge(row, { op: '<', limit: c.limitMs });
      rows.push(row);
    }
    return { rows, details };
  },
};
