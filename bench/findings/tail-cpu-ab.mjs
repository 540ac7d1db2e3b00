// Finding (issue 24): CPU per event of `tail -n N -o MODE URL > /dev/null`
// for builds taking turns, against the bench's raw ws server pumping its
// 65,536 realistic events, with a bare ws client counting the same frames
// as the floor. CPU is user + system from wait4 of the spawned process
// (/usr/bin/time), so node's start is in it: each subject also runs with
// -n 2000, and "beyond the start" is (cpu(N) - cpu(2000)) / (N - 2000), medians.
//
//   node bench/findings/tail-cpu-ab.mjs ROUNDS N MODE label=/path/to/tree ... [label=client]
//   e.g. node bench/findings/tail-cpu-ab.mjs 5 300000 ndjson before=/tmp/old after=. client=client
// (each tree built: bin/hangar-events.js and dist/)
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker } from '../lib/children.js';

const here = dirname(fileURLToPath(import.meta.url));
const [roundsText = '3', nText = '300000', mode = 'ndjson', ...subjectArgs] = process.argv.slice(2);
const rounds = Number(roundsText);
const n = Number(nText);
const small = 2000;
const source = await startWorker('server.js', { kind: 'raw', poolSize: 65536 }, { timeoutMs: 60000 });
await source.call({ cmd: 'pump', on: true });
const url = source.ready.url;

/** CPU seconds (user + system) of one spawned command, from wait4. */
function cpuOf(args) {
  return new Promise((done) => {
    const child = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => {
      const [user, system] = stderr.trim().split('\n').pop().split(' ').map(Number);
      if (code !== 0) console.error(`exit ${code}: ${args.join(' ')}\n${stderr}`);
      done(user + system);
    });
  });
}

const subjects = (subjectArgs.length > 0 ? subjectArgs : ['this=.', 'client=client']).map((arg) => {
  const [label, tree] = arg.split('=');
  const args = (count) =>
    tree === 'client' ? [join(here, 'count-client.mjs'), url, String(count)] : [join(resolve(tree), 'bin', 'hangar-events.js'), 'tail', '-q', '-n', String(count), '-o', mode, url];
  return { label, args, full: [], start: [] };
});
for (let round = 0; round < rounds; round++) {
  for (const subject of subjects) {
    subject.full.push(await cpuOf(subject.args(n)));
    subject.start.push(await cpuOf(subject.args(small)));
    console.error(`round ${round + 1} ${subject.label}: ${((subject.full.at(-1) / n) * 1e6).toFixed(2)} us/event with the start`);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const { label, full, start } of subjects) {
  const beyond = ((median(full) - median(start)) / (n - small)) * 1e6;
  console.log(`${label}: ${beyond.toFixed(2)} us/event beyond the start; with it ${((median(full) / n) * 1e6).toFixed(2)} (${full.map((c) => ((c / n) * 1e6).toFixed(2)).join('/')}); -n ${small}: ${median(start).toFixed(3)} s`);
}
await source.stop();
process.exit(0);
