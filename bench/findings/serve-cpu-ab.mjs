// serve --rate max to one ws client: serve's CPU per event (/proc, user + system) for several builds or
// node settings taking turns, medians (issue 24, memory round: a memory setting must not cost CPU).
// node bench/findings/serve-cpu-ab.mjs ROUNDS 'name|cli path|node args|env K=V|serve args' ...
import { spawn } from 'node:child_process';
import { startWorker, waitForLine, stop } from '../lib/children.js';
import { measureGroup } from '../lib/measure.js';
import { median } from '../lib/stats.js';

const [roundsArg, ...specs] = process.argv.slice(2);
const variants = specs.map((spec) => {
  const [name, cli, nodeArgs = '', env = '', serveArgs = ''] = spec.split('|');
  return { name, cli, nodeArgs: nodeArgs ? nodeArgs.split(' ') : [], env: Object.fromEntries(env ? env.split(' ').map((kv) => kv.split('=')) : []), serveArgs: serveArgs ? serveArgs.split(' ') : [], us: [], rate: [] };
});
const clients = await startWorker('clients.js');
try {
  for (let round = 0; round < Number(roundsArg); round++) {
    for (const v of variants) {
      const child = spawn(process.execPath, [...v.nodeArgs, v.cli, 'serve', '--port', '0', '--rate', 'max', '--seed', '1', ...v.serveArgs], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...v.env } });
      const url = (await waitForLine(child, /listening on (ws:\/\/\S+)/))[1];
      child.stderr.resume();
      const group = `${v.name}-${round}`;
      await clients.call({ cmd: 'open', group, url, count: 1, impl: 'ws' });
      const m = await measureGroup({ clients, group, serverPid: child.pid, warmMs: 1500, windowMs: 3000 });
      await clients.call({ cmd: 'close', group });
      await stop(child);
      v.us.push((m.serverCpuSeconds / m.deliveries) * 1e6);
      v.rate.push(m.eventsPerSec);
      console.error(`round ${round} ${v.name}: ${v.us.at(-1).toFixed(3)} us/event, ${Math.round(m.eventsPerSec / 1000)}k/s, rss ${(m.serverRssBytes / 2 ** 20).toFixed(0)} MiB`);
    }
  }
} finally {
  await clients.stop();
}
for (const v of variants) console.log(`${v.name}: median ${median(v.us).toFixed(3)} us/event (${v.us.map((x) => x.toFixed(2)).join(' / ')}), median ${Math.round(median(v.rate) / 1000)}k ev/s`);
