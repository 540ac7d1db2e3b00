// 1. End to end, one client: `serve --rate max` into `tail -o ndjson > /dev/null`,
// against the raw `ws` client on the same server; and serve to one raw client
// against the raw `ws` server baseline (same payload size).
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, cliPath, sleep, spawnCli, spawnTracked, startServeCli, startWorker, stop } from '../lib/children.js';
import { measureGroup, waitUntil } from '../lib/measure.js';
import { readCpuSeconds, readWriteBytes } from '../lib/procfs.js';
import { judge } from '../lib/report.js';
import { median } from '../lib/stats.js';

/** Events `tail -n` asks for in the exit row. */
const EXIT_COUNT = 1000;

/** Wall time of `<command> | cat > /dev/null` from spawn to exit, in seconds (and the line count, to check it did the job). */
async function timePipeline(args) {
  const t0 = performance.now();
  const child = spawnTracked(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, NO_COLOR: '1', TERM: 'dumb' } });
  const cat = spawnTracked('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdout.pipe(cat.stdin);
  let lines = 0;
  child.stdout.on('data', (chunk) => {
    for (const byte of chunk) if (byte === 10) lines++;
  });
  await new Promise((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((resolve) => (cat.exitCode !== null ? resolve() : cat.once('exit', resolve)));
  return { seconds, lines };
}

/**
 * `tail -n 1000 -o ndjson URL | cat` against a bare ws client doing the same
 * (bench/workers/raw-tail.js: print the first 1000 events, close with a
 * handshake, exit), runs interleaved, medians: what a script pays per call.
 */
export async function measureExit(url, rounds) {
  const tail = [];
  const raw = [];
  for (let round = 0; round < rounds; round++) {
    raw.push(await timePipeline([join(benchDir, 'workers', 'raw-tail.js'), url, String(EXIT_COUNT)]));
    tail.push(await timePipeline([cliPath, 'tail', '-q', '-n', String(EXIT_COUNT), '-o', 'ndjson', url]));
  }
  for (const run of [...tail, ...raw]) if (run.lines !== EXIT_COUNT) throw new Error(`a run printed ${run.lines} lines instead of ${EXIT_COUNT}`);
  return { tailSeconds: median(tail.map((r) => r.seconds)), rawSeconds: median(raw.map((r) => r.seconds)), tail, raw };
}

/** Events/s of `tail -o ndjson URL > /dev/null`, from the bytes it writes (/proc/<pid>/io wchar). */
export async function measureTailToDevNull(url, bytesPerLine, { warmMs, windowMs, extraArgs = [] }) {
  const devNull = openSync('/dev/null', 'w');
  const tail = spawnCli(['tail', '-o', 'ndjson', ...extraArgs, url], { stdio: ['ignore', devNull, 'pipe'] });
  closeSync(devNull);
  let stderr = '';
  tail.stderr.setEncoding('utf8');
  tail.stderr.on('data', (chunk) => {
    if (stderr.length < 4000) stderr += chunk;
  });
  try {
    const flowing = await waitUntil(() => readWriteBytes(tail.pid) > 64 * 1024 || tail.exitCode !== null, { timeoutMs: 15000 });
    if (!flowing || tail.exitCode !== null) throw new Error(`tail wrote nothing (exit ${tail.exitCode}): ${stderr.trim().slice(0, 300)}`);
    await sleep(warmMs);
    const t0 = performance.now();
    const w0 = readWriteBytes(tail.pid);
    const c0 = readCpuSeconds(tail.pid);
    await sleep(windowMs);
    const w1 = readWriteBytes(tail.pid);
    const c1 = readCpuSeconds(tail.pid);
    const seconds = (performance.now() - t0) / 1000;
    const events = (w1 - w0) / bytesPerLine;
    // CPU per event depends far less on what else the machine runs than events per second does.
    return { eventsPerSec: events / seconds, bytesPerSec: (w1 - w0) / seconds, tailCpu: (c1 - c0) / seconds, cpuMicrosPerEvent: ((c1 - c0) / events) * 1e6 };
  } finally {
    await stop(tail);
  }
}

/** Microseconds of CPU per event, from a CPU share (cores) and a rate. */
function cpuMicros(cpu, eventsPerSec) {
  return eventsPerSec > 0 ? ((cpu / eventsPerSec) * 1e6).toFixed(2) : '-';
}

export default {
  id: 1,
  name: 'end to end, one client',
  async run({ quick, warmMs, windowMs, log }) {
    const clients = await startWorker('clients.js');
    const details = {};
    const rows = [];
    try {
      log('  serve --rate max -> one ws client, taking turns with tail and the raw ws server');
      // Each round: a fresh serve, the ws client on it, then tail on it (the tail row: tail against the client
      // on the same serve), serve stopped, then the raw ws server to one ws client (the serve row's baseline,
      // same payload size). Medians of the rounds (3; quick 1): on a shared machine one window alone can land
      // on a busy or a quiet moment, and the baseline is measured in the same minutes as serve, not once
      // after it. serve is stopped while the raw server runs: at --rate max it publishes with no client too.
      const clientRuns = [];
      const tailRuns = [];
      const rawRuns = [];
      let raw;
      try {
        for (let round = 0; round < (quick ? 1 : 3); round++) {
          const serve = await startServeCli(['--rate', 'max', '--seed', '1']);
          try {
            const group = `serve-${round}`;
            await clients.call({ cmd: 'open', group, url: serve.url, count: 1, impl: 'ws' });
            // serve's first pool of events is simulated (and the compiler warms up): measure the steady state after it.
            clientRuns.push(await measureGroup({ clients, group, serverPid: serve.pid, warmMs: Math.max(warmMs, 1000), windowMs }));
            await clients.call({ cmd: 'close', group });
            if (round === 0) log('  serve --rate max -> tail -o ndjson > /dev/null, taking turns with the ws client');
            tailRuns.push(await measureTailToDevNull(serve.url, clientRuns[0].bytesPerEvent + 1, { warmMs, windowMs }));
          } finally {
            await stop(serve.child);
          }
          if (round === 0) {
            log('  raw ws server -> one ws client');
            raw = await startWorker('server.js', { kind: 'raw', payloadBytes: Math.round(clientRuns[0].bytesPerEvent) });
          }
          const group = `raw-${round}`;
          await clients.call({ cmd: 'open', group, url: raw.ready.url, count: 1, impl: 'ws' });
          await raw.call({ cmd: 'pump', on: true });
          rawRuns.push(await measureGroup({ clients, group, serverPid: raw.pid, warmMs, windowMs }));
          await raw.call({ cmd: 'pump', on: false });
          await clients.call({ cmd: 'close', group });
        }
      } finally {
        await raw?.stop();
      }
      const middle = (runs) => [...runs].sort((a, b) => a.eventsPerSec - b.eventsPerSec)[Math.floor(runs.length / 2)];
      const serveToClient = middle(clientRuns);
      const tail = middle(tailRuns);
      details.rounds = { client: clientRuns.map((r) => r.eventsPerSec), tail: tailRuns.map((r) => r.eventsPerSec), raw: rawRuns.map((r) => r.eventsPerSec) };
      details.serveToWsClient = serveToClient;
      details.tailNdjson = tail;
      details.rawToWsClient = middle(rawRuns);

      log(`  tail -n ${EXIT_COUNT} -o ndjson | cat, against a bare ws client doing the same`);
      const serve = await startServeCli(['--rate', 'max', '--seed', '1']);
      try {
        details.exit = await measureExit(serve.url, quick ? 3 : 7);
      } finally {
        await stop(serve.child);
      }

      const tailRow = {
        figure: 'serve --rate max -> tail -o ndjson >/dev/null',
        value: tail.eventsPerSec,
        unit: 'ev/s',
        baseline: serveToClient.eventsPerSec,
        baselineLabel: 'ws client, same serve',
        ratio: tail.eventsPerSec / serveToClient.eventsPerSec,
        target: '>= 0.9x',
        note: `median of ${details.rounds.tail.length}, interleaved with the client; tail cpu ${tail.tailCpu.toFixed(2)}, ${tail.cpuMicrosPerEvent.toFixed(1)} us cpu/event (client ${cpuMicros(serveToClient.clientCpu, serveToClient.eventsPerSec)})`,
      };
      // Issue 24: tail's NDJSON path within 10% of a bare ws client counting frames.
      tailRow.pass = judge(tailRow, { on: 'ratio', op: '>=', limit: 0.9 });
      const serveRow = {
        figure: 'serve --rate max -> one ws client',
        value: serveToClient.eventsPerSec,
        unit: 'ev/s',
        baseline: details.rawToWsClient.eventsPerSec,
        baselineLabel: 'raw ws server, same rounds',
        ratio: serveToClient.eventsPerSec / details.rawToWsClient.eventsPerSec,
        target: '>= 0.8x',
        note:
          `medians of ${rawRuns.length} rounds taking turns (round by round ${clientRuns.map((r, i) => (r.eventsPerSec / rawRuns[i].eventsPerSec).toFixed(2)).join(', ')}); ` +
          `serve cpu ${serveToClient.serverCpu.toFixed(2)} (${cpuMicros(serveToClient.serverCpu, serveToClient.eventsPerSec)} us/event; raw server ` +
          `${cpuMicros(details.rawToWsClient.serverCpu, details.rawToWsClient.eventsPerSec)}), client cpu ${serveToClient.clientCpu.toFixed(2)}, ` +
          `${Math.round(serveToClient.bytesPerEvent)} B/event`,
      };
      serveRow.pass = judge(serveRow, { on: 'ratio', op: '>=', limit: 0.8 });
      const exitRow = {
        figure: `tail -n ${EXIT_COUNT} -o ndjson, piped to cat: wall time`,
        value: details.exit.tailSeconds,
        unit: 's',
        baseline: details.exit.rawSeconds,
        baselineLabel: 'bare ws client, same job',
        ratio: details.exit.tailSeconds / details.exit.rawSeconds,
        target: '<= 1.5x',
        note: `median of ${details.exit.tail.length}, interleaved; from spawn to exit, node's start included in both`,
      };
      exitRow.pass = judge(exitRow, { on: 'ratio', op: '<=', limit: 1.5 });
      rows.push(tailRow, serveRow, exitRow);
      return { rows, details };
    } finally {
      await clients.stop();
    }
  },
};
