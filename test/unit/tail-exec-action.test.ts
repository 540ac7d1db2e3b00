import { describe, expect, it } from 'vitest';
import { createExecAction } from '../../src/tail/exec-action.js';
import { requireProgram } from '../helpers/require-program.js';

/** The action's reports name it as the caller says (tail: its flag); the engine itself knows no flags. */
async function reportsOf(label: string | undefined): Promise<string[]> {
  const reports: string[] = [];
  const action = createExecAction({
    command: 'exit 3',
    concurrency: 1,
    queueLimit: 4,
    env: { PATH: process.env.PATH },
    report: (line) => reports.push(line),
    writeOutput: () => {},
    ...(label !== undefined ? { label } : {}),
  });
  action.run({ event_type: 'HealthCheckFailed', event_id: 'e-1', mcp_server_id: 'math' }, '{}');
  await action.close();
  return reports;
}

describe('the exec action', () => {
  requireProgram('bash').it('reports a failing command and the totals under the label it is given', async () => {
    const tail = await reportsOf('--exec');
    expect(tail.some((line) => line.startsWith('--exec failed for HealthCheckFailed'))).toBe(true);
    expect(tail.at(-1)).toBe('--exec: 1 command run, 1 failed, 0 events skipped');
    const embedded = await reportsOf(undefined);
    expect(embedded.some((line) => line.startsWith('exec action failed for HealthCheckFailed'))).toBe(true);
    expect(embedded.join('\n')).not.toContain('--');
  });
});
