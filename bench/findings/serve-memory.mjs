// Where serve's memory is in scenario 8 (issue 24): serve --rate max and the bench's raw ws server,
// RSS by mapping (/proc/PID/smaps) at the same moments: idle, 1000 clients connected and paused,
// 2 s after they resume, and at the end of a 4 s window (where scenario 8 reads RSS). With
// MEMHOOK=bench/findings/serve-memhook.cjs (a preload, not part of serve) serve and the raw server also
// report process.memoryUsage() and V8's spaces at each moment (MEMHOOK_GC=1 with --node-args=--expose-gc:
// also after a full collection; MEMHOOK_SNAPSHOT=prefix: a heap snapshot each time); TRACE_OUT=file keeps
// serve's stdout (--node-args=--trace-gc) and the moments.
// node bench/findings/serve-memory.mjs [--cli bin/hangar-events.js] [--kinds serve,raw,framed] [--serve-args "..."] [--node-args "..."]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startWorker, waitForLine, stop } from '../lib/children.js';

const { values } = parseArgs({ options: { cli: { type: 'string' }, kinds: { type: 'string', default: 'serve,raw' }, 'serve-args': { type: 'string', default: '' }, 'node-args': { type: 'string', default: '' }, count: { type: 'string', default: '1000' }, 'idle-ms': { type: 'string', default: '3000' }, json: { type: 'boolean', default: false } } });
const cli = values.cli ?? new URL('../../bin/hangar-events.js', import.meta.url).pathname;
const hook = process.env.MEMHOOK && (await import('node:path')).resolve(process.env.MEMHOOK);
const count = Number(values.count);

function smaps(pid) {
  const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const by = { heap: 0, anon: 0, file: 0, stack: 0, other: 0 };
  let kind = 'other';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      const name = head[2].trim();
      kind = name === '[heap]' ? 'heap' : name === '' ? 'anon' : name.startsWith('/') ? 'file' : name === '[stack]' ? 'stack' : 'other';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) by[kind] += Number(rss[1]);
  }
  const total = Object.values(by).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries({ ...by, total }).map(([k, v]) => [k, +(v / 1024).toFixed(1)]));
}

async function inside(pid, out) {
  if (!hook) return undefined;
  rmSync(out, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100 && !existsSync(out); i++) await sleep(100);
  await sleep(50);
  try {
    const j = JSON.parse(readFileSync(out, 'utf8'));
    const M = (b) => +(b / 2 ** 20).toFixed(1);
    const spaces = Object.fromEntries(Object.entries(j.spaces).filter(([, s]) => s.size > 0).map(([k, s]) => [k.replace('_space', ''), `${M(s.used)}/${M(s.phys)}`]));
    const gc = j.after ? { afterGc: { heapUsed: M(j.after.mu.heapUsed), arrayBuffers: M(j.after.mu.arrayBuffers), old: M(j.after.spaces.old_space.used) } } : {};
    return { heapUsed: M(j.mu.heapUsed), heapTotal: M(j.mu.heapTotal), external: M(j.mu.external), arrayBuffers: M(j.mu.arrayBuffers), malloced: M(j.malloced), spaces, ...gc };
  } catch (e) { return { error: String(e) }; }
}

async function runOne(clients, kind) {
  const out = `${process.env.TMPDIR ?? '/tmp'}/serve-memhook-${process.pid}-${kind}.json`;
  const env = { ...process.env, NO_COLOR: '1', MEMHOOK_OUT: out };
  const nodeArgs = [...(values['node-args'] ? values['node-args'].split(' ') : []), ...(hook ? ['--require', hook] : [])];
  let pid, url, done;
  if (kind === 'serve') {
    const child = spawn(process.execPath, [...nodeArgs, cli, 'serve', '--port', '0', '--rate', 'max', '--seed', '1', ...(values['serve-args'] ? values['serve-args'].split(' ') : [])], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const m = await waitForLine(child, /listening on (ws:\/\/\S+)/);
    child.stderr.resume();
    if (process.env.TRACE_OUT) child.stdout.pipe((await import('node:fs')).createWriteStream(process.env.TRACE_OUT)); else child.stdout.resume();
    pid = child.pid; url = m[1]; done = () => stop(child);
  } else {
    process.env.MEMHOOK_OUT = out;
    const server = await startWorker('server.js', { kind: 'raw', highWaterMark: 16 * 1024, framed: kind === 'framed', payloadBytes: 352 }, { nodeArgs: hook ? ['--require', hook] : [] });
    await server.call({ cmd: 'pump', on: true });
    pid = server.pid; url = server.ready.url; done = () => server.stop();
  }
  const rows = [];
  const health = async () => {
    if (kind !== 'serve') return undefined;
    const h = await (await fetch(url.replace('ws:', 'http:').replace(/\/api\/ws\/events$/, '/health'))).json();
    return { at: performance.now(), published: h.events_published, delivered: h.events_delivered };
  };
  let last;
  const sample = async (phase) => {
    if (process.env.TRACE_OUT) (await import('node:fs')).appendFileSync(process.env.TRACE_OUT + '.phases', `${phase} ${performance.now()}\n`);
    const h = await health();
    const rates = h && last ? ` published ${Math.round((h.published - last.published) / ((h.at - last.at) / 1000))}/s, delivered ${Math.round((h.delivered - last.delivered) / ((h.at - last.at) / 1000))}/s` : '';
    last = h;
    rows.push({ phase: phase + rates, smaps: smaps(pid), inside: await inside(pid, out) });
  };
  await sleep(Number(values['idle-ms']));
  await sample(`idle ${values['idle-ms']} ms`);
  const group = `${kind}-${Date.now()}`;
  const t0 = performance.now();
  const opened = await clients.call({ cmd: 'open', group, url, count, impl: 'tcp', concurrency: 50, pauseOnSubscribe: true }, 240000);
  const connectS = ((performance.now() - t0) / 1000).toFixed(1);
  await sample(`${opened.opened} connected, paused (${connectS} s)`);
  await clients.call({ cmd: 'resume', group });
  await sleep(2000);
  await sample('reading 2 s');
  await sleep(4000);
  await sample('reading 6 s (bench figure)');
  await clients.call({ cmd: 'close', group });
  await done();
  return rows;
}

const clients = await startWorker('clients.js');
try {
  for (const kind of values.kinds.split(',')) {
    const rows = await runOne(clients, kind);
    if (values.json) console.log(JSON.stringify({ kind, rows }));
    else for (const r of rows) console.log(kind.padEnd(6), r.phase.padEnd(34), '\n      ', JSON.stringify(r.smaps), r.inside ? JSON.stringify(r.inside) : '');
  }
} finally {
  await clients.stop();
}
