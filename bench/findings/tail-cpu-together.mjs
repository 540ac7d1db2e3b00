// Finding (issue 24, round six): CPU per event of `tail -q -n N -o MODE URL` for builds run AT THE SAME
// TIME against one bench raw server (the 65,536 realistic events, pumped), each into a pipe this process
// drains. Builds taking turns (tail-cpu-ab.mjs) see the machine change between turns (other sessions'
// load, 3.1 -> 2.1 us for one build within two minutes); builds run together see the same minutes, so
// the ratio of each pair is steady to a few percent even at load 5-7 (contention raises both figures).
// CPU is user + system from wait4 (/usr/bin/time), the start included (the same code for both).
//
//   node bench/findings/tail-cpu-together.mjs REPS N MODE label=/path/to/tree ...
//   e.g. node bench/findings/tail-cpu-together.mjs 8 600000 pretty before=/tmp/old after=.
// (each tree built: bin/hangar-events.js and dist/)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startWorker } from '../lib/children.js';

const [repsText = '6', nText = '600000', mode = 'pretty', ...subjectArgs] = process.argv.slice(2);
const reps = Number(repsText);
const n = Number(nText);
const source = await startWorker('server.js', { kind: 'raw', poolSize: 65536 }, { timeoutMs: 60000 });
await source.call({ cmd: 'pump', on: true });
const url = source.ready.url;

/** CPU seconds (user + system) of one tail, and the lines it wrote. */
function run(tree) {
  return new Promise((done) => {
    const args = [join(resolve(tree), 'bin', 'hangar-events.js'), 'tail', '-q', '-n', String(n), '-o', mode, url];
    const child = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    let lines = 0;
    child.stdout.on('data', (chunk) => {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', () => {
      const [user, system] = stderr.trim().split('\n').pop().split(' ').map(Number);
      done({ cpu: user + system, lines });
    });
  });
}

const subjects = subjectArgs.map((arg) => ({ label: arg.split('=')[0], tree: arg.split('=')[1], micros: [] }));
for (let rep = 0; rep < reps; rep++) {
  // Started in turn first and last.
  const order = rep % 2 === 0 ? subjects : [...subjects].reverse();
  const results = await Promise.all(order.map((subject) => run(subject.tree)));
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  order.forEach((subject, k) => subject.micros.push((results[k].cpu / n) * 1e6));
  console.error(`rep ${rep + 1}: ${order.map((s, k) => `${s.label} ${s.micros.at(-1).toFixed(2)} us${results[k].lines !== n ? ` (${results[k].lines} lines)` : ''}`).join(', ')}; load ${load}`);
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const first = subjects[0];
for (const subject of subjects) {
  const pairs = subject.micros.map((m, k) => m / first.micros[k]);
  console.log(`${subject.label}: ${median(subject.micros).toFixed(2)} us/event with the start (median); against ${first.label}: median pair ${median(pairs).toFixed(3)}x (${pairs.map((p) => p.toFixed(3)).join(' ')})`);
}
await source.stop();
process.exit(0);
