// 6. Rendering: `tail -o ndjson` and `tail -o pretty` into a pipe (read and
// counted by this process) from a fast source, the raw `ws` server pumping
// realistic events. Baseline: the raw `ws` client reading the same source.
import { sleep, spawnCli, startWorker, stop } from '../lib/children.js';
import { measureGroup, waitUntil } from '../lib/measure.js';
import { judge } from '../lib/report.js';

/** Lines per second that `tail -o <mode>` writes into a pipe. */
async function measureTailPipe(url, mode, { warmMs, windowMs }) {
  const tail = spawnCli(['tail', '-o', mode, url]);
  let lines = 0;
  let bytes = 0;
  tail.stdout.on('data', (chunk) => {
    bytes += chunk.length;
    let at = chunk.indexOf(10);
    while (at !== -1) {
      lines++;
      at = chunk.indexOf(10, at + 1);
    }
  });
  let stderr = '';
  tail.stderr.setEncoding('utf8');
  tail.stderr.on('data', (chunk) => {
    if (stderr.length < 4000) stderr += chunk;
  });
  try {
    const flowing = await waitUntil(() => lines > 1000 || tail.exitCode !== null, { timeoutMs: 15000 });
    if (!flowing || tail.exitCode !== null) throw new Error(`tail -o ${mode} printed nothing (exit ${tail.exitCode}): ${stderr.trim().slice(0, 300)}`);
    await sleep(warmMs);
    const t0 = performance.now();
    const l0 = lines;
    const b0 = bytes;
    await sleep(windowMs);
    const seconds = (performance.now() - t0) / 1000;
    return { linesPerSec: (lines - l0) / seconds, bytesPerLine: (bytes - b0) / (lines - l0) };
  } finally {
    await stop(tail);
  }
}

export default {
  id: 6,
  name: 'rendering',
  async run(context) {
    const { log } = context;
    // A large pool of distinct events, so that no id repeats within tail's de-duplication window.
    const source = await startWorker('server.js', { kind: 'raw', poolSize: 65536 }, { timeoutMs: 60000 });
    const clients = await startWorker('clients.js');
    try {
      await source.call({ cmd: 'pump', on: true });
      log('  raw ws client on the source');
      await clients.call({ cmd: 'open', group: 'ceiling', url: source.ready.url, count: 1, impl: 'ws' });
      const ceiling = await measureGroup({ clients, group: 'ceiling', serverPid: source.pid, ...context });
      await clients.call({ cmd: 'close', group: 'ceiling' });
      const rows = [];
      const details = { ceiling };
      for (const [mode, limit] of [
        ['ndjson', 300_000],
        ['pretty', 100_000],
      ]) {
        log(`  tail -o ${mode} | (pipe)`);
        const m = await measureTailPipe(source.ready.url, mode, context);
        details[mode] = m;
        const row = {
          figure: `tail -o ${mode} into a pipe`,
          value: m.linesPerSec,
          unit: 'ev/s',
          baseline: ceiling.eventsPerSec,
          baselineLabel: 'ws client, same source',
          ratio: m.linesPerSec / ceiling.eventsPerSec,
          target: `>= ${limit / 1000}k/s`,
          note: `${Math.round(m.bytesPerLine)} B/line`,
        };
        row.pass = judge(row, { op: '>=', limit });
        rows.push(row);
      }
      return { rows, details };
    } finally {
      await clients.stop();
      await source.stop();
    }
  },
};
