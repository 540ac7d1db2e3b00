// 5. Idle connections: N subscribers that receive nothing (`serve --no-demo`),
// server RSS per connection. Baseline: the raw `ws` server holding as many.
import { sleep, startServeCli, startWorker, stop } from '../lib/children.js';
import { readRssBytes } from '../lib/procfs.js';
import { judge } from '../lib/report.js';

async function perConnection(clients, url, pid, count, label) {
  await sleep(300);
  const before = readRssBytes(pid);
  const opened = await clients.call({ cmd: 'open', group: label, url, count, impl: 'tcp', concurrency: 100 }, 120000);
  if (opened.opened !== count) throw new Error(`${label}: only ${opened.opened} of ${count} connected (${opened.errors.join('; ')})`);
  await sleep(1000);
  const after = readRssBytes(pid);
  await clients.call({ cmd: 'close', group: label });
  return { before, after, count, bytesPerConnection: (after - before) / count };
}

export default {
  id: 5,
  name: 'idle connections',
  async run({ idleConnections, fdLimit, log }) {
    let count = idleConnections;
    let note = '';
    // Each side (server process, client process) holds one descriptor per connection.
    if (Number.isFinite(fdLimit) && fdLimit - 200 < count) {
      count = Math.max(100, fdLimit - 200);
      note = `fd limit ${fdLimit}: ${count} connections instead of ${idleConnections}`;
      log(`  ${note}`);
    }
    const clients = await startWorker('clients.js');
    try {
      log(`  ${count} idle subscribers on serve --no-demo`);
      const serve = await startServeCli(['--no-demo']);
      let s;
      try {
        s = await perConnection(clients, serve.url, serve.pid, count, 'serve');
      } finally {
        await stop(serve.child);
      }
      log(`  ${count} idle subscribers on the raw ws server`);
      const raw = await startWorker('server.js', { kind: 'raw' });
      let r;
      try {
        r = await perConnection(clients, raw.ready.url, raw.pid, count, 'raw');
      } finally {
        await raw.stop();
      }
      const row = {
        figure: `${count} idle subscribers: server RSS per connection`,
        value: s.bytesPerConnection / 1024,
        unit: 'KiB',
        baseline: r.bytesPerConnection / 1024,
        baselineLabel: 'raw ws server',
        ratio: s.bytesPerConnection / r.bytesPerConnection,
        target: '<= 16 KiB',
        note: note || `serve RSS ${(s.before / 2 ** 20).toFixed(0)} -> ${(s.after / 2 ** 20).toFixed(0)} MiB`,
      };
      row.pass = judge(row, { op: '<=', limit: 16 });
      return { rows: [row], details: { serve: s, raw: r, count } };
    } finally {
      await clients.stop();
    }
  },
};
