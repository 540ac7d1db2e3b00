// 7. Startup: `hangar-events --version` and `hangar-events tail --help` wall
// time against `node -e 0`, median of N interleaved runs. Both are answered by
// the launcher's fast path (stdout is a pipe: src/cli/fast-path.ts); a third
// row, for information, asks for the same help in a form the fast path leaves
// to the program (`tail --no-color --help`: commander and tail's declaration).
import { spawnSync } from 'node:child_process';
import { cliPath } from '../lib/children.js';
import { median } from '../lib/stats.js';
import { judge } from '../lib/report.js';

function wallMs(args) {
  const t0 = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000, env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - t0;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}: ${String(result.stderr).slice(0, 200)}`);
  return ms;
}

export default {
  id: 7,
  name: 'startup',
  async run({ startupRuns }) {
    const commands = {
      node: ['-e', '0'],
      version: [cliPath, '--version'],
      tailHelp: [cliPath, 'tail', '--help'],
      tailHelpFull: [cliPath, 'tail', '--no-color', '--help'],
    };
    const samples = { node: [], version: [], tailHelp: [], tailHelpFull: [] };
    wallMs(commands.version); // warm the file system cache once
    for (let i = 0; i < startupRuns; i++) {
      for (const [name, args] of Object.entries(commands)) samples[name].push(wallMs(args));
    }
    const medians = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
    const rows = [
      ['hangar-events --version', medians.version],
      ['hangar-events tail --help', medians.tailHelp],
      ['hangar-events tail --no-color --help (the program, no fast path)', medians.tailHelpFull],
    ].map(([figure, value], index) => {
      const info = index === 2;
      const row = { figure, value, unit: 'ms', baseline: medians.node, baselineLabel: 'node -e 0', ratio: value / medians.node, target: info ? '' : '<= 1.3x', note: `median of ${startupRuns}` };
      row.pass = info ? null : judge(row, { on: 'ratio', op: '<=', limit: 1.3 }); // issue 24
      return row;
    });
    return { rows, details: { medians, samples } };
  },
};
