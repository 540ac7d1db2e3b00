import { describe, expect, it } from 'vitest';
import { createExecAction } from '../../src/tail/exec-action.js';
import { FakeClock } from '../helpers/fake-clock.js';
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
    clock: new FakeClock(),
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

describe('the exec action at exit', () => {
  requireProgram('bash').it('close waits for a running command for the grace time on the injected clock, then stops it with SIGTERM', async () => {
    const reports: string[] = [];
    const clock = new FakeClock();
    const action = createExecAction({
      command: 'exec sleep 60',
      concurrency: 1,
      queueLimit: 4,
      env: { PATH: process.env.PATH },
      report: (line) => reports.push(line),
      writeOutput: () => {},
      label: '--exec',
      closeGraceMs: 5_000,
      clock,
    });
    action.run({ event_type: 'HealthCheckFailed', event_id: 'e-1', mcp_server_id: 'math' }, '{}');
    let closed = false;
    const closing = action.close().then(() => (closed = true));
    await clock.advanceAsync(4_999);
    expect(closed).toBe(false);
    expect(reports).toEqual([]);
    await clock.advanceAsync(1);
    await closing;
    expect(reports).toEqual(['--exec: stopping 1 command still running at exit', '--exec failed for HealthCheckFailed e-1: killed by SIGTERM', '--exec: 1 command run, 1 failed, 0 events skipped']);
    expect(clock.pending).toBe(0);
  });
});

describe('the exec action environment', () => {
  it('documented variables win over event fields of the same name', async () => {
    const { eventEnv } = await import('../../src/tail/exec-action.js');
    const event = { event_type: 'ToolInvocationFailed', event_id: 'e-1', mcp_server_id: 'math', Server: 'evil', Type: 'Fake', id: 'other', tool_name: 'add' };
    const env = eventEnv({ HANGAR_EVENT_SERVER: 'inherited' }, event, JSON.stringify(event));
    expect(env.HANGAR_EVENT_SERVER).toBe('math');
    expect(env.HANGAR_EVENT_TYPE).toBe('ToolInvocationFailed');
    expect(env.HANGAR_EVENT_ID).toBe('e-1');
    expect(env.HANGAR_EVENT_TOOL_NAME).toBe('add');
  });

  requireProgram('bash').it('an event over 128 KiB runs the command (stdin has it; $HANGAR_EVENT is left out)', async () => {
    const reports: string[] = [];
    const output: Buffer[] = [];
    const action = createExecAction({
      command: 'printf "%s %s " "${HANGAR_EVENT:-unset}" "$HANGAR_EVENT_TYPE"; wc -c',
      concurrency: 1,
      queueLimit: 4,
      env: { PATH: process.env.PATH },
      report: (line) => reports.push(line),
      writeOutput: (chunk) => output.push(chunk),
      clock: new FakeClock(),
    });
    const event = { event_type: 'ToolInvocationCompleted', event_id: 'e-big', mcp_server_id: 'math', result: 'x'.repeat(200 * 1024) };
    const raw = JSON.stringify(event);
    action.run(event, raw);
    await action.close();
    expect(reports).toEqual([]);
    expect(Buffer.concat(output).toString().trim()).toBe(`unset ToolInvocationCompleted ${raw.length + 1}`);
  });
});
