import { afterEach, describe, expect, it } from 'vitest';
import { check, completeInBash, completeInFish, completeInZsh, writeScript } from '../helpers/shell-completion.js';
import { runCli } from '../helpers/spawn.js';
import { requireProgram } from '../helpers/require-program.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

async function generated(shell: 'bash' | 'zsh' | 'fish', name: string): Promise<string> {
  const result = await runCli(['completion', shell]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const file = writeScript(result.stdout, name);
  cleanups.push(file.dispose);
  return file.path;
}

describe('hangar-events completion (the real binary)', () => {
  requireProgram('bash').it('prints a bash script that bash sources and that completes commands and shells', async () => {
    const path = await generated('bash', 'hangar-events.bash');
    expect(await check('bash', ['-n', path])).toEqual({ code: 0, stderr: '' });
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'ta'])).toEqual(['tail']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'dem'])).toEqual(['demo']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'appro'])).toEqual(['approvals', 'approve']);
  });
  requireProgram('bash').it('completes tail\'s real flags and their values in bash', async () => {
    const path = await generated('bash', 'hangar-events.bash');
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--type', 'Health'])).toEqual(['HealthCheckFailed', 'HealthCheckPassed']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '-x', 'ToolInvocationR'])).toEqual(['ToolInvocationRequested']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '-o', ''])).toEqual(['pretty', 'ndjson', 'table']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--time', 'u'])).toEqual(['utc']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--color', 'n'])).toEqual(['never']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--max-r'])).toEqual(['--max-retries']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'serve', '--repl'])).toEqual(['--replay']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'demo', '--type', 'CircuitB'])).toEqual(['CircuitBreakerStateChanged']);
  });
  requireProgram('zsh').it('prints a zsh script that zsh parses and loads', async () => {
    const path = await generated('zsh', '_hangar-events');
    expect(await check('zsh', ['-n', path])).toEqual({ code: 0, stderr: '' });
    expect(await check('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -D && source ${path} && [[ \${_comps[hangar-events]} == _hangar_events ]]`])).toEqual({
      code: 0,
      stderr: '',
    });
    expect(await completeInZsh(path, 'hangar-events pu')).toEqual(['publish']);
  });
  requireProgram('fish').it('prints a fish script that fish completes with', async () => {
    const path = await generated('fish', 'hangar-events.fish');
    expect(await check('fish', ['--no-execute', path])).toEqual({ code: 0, stderr: '' });
    expect(await completeInFish(path, 'hangar-events ty')).toEqual(['types']);
    expect((await completeInFish(path, 'hangar-events completion ')).sort()).toEqual(['bash', 'fish', 'zsh']);
  });
  it('refuses an unknown shell with a usage error', async () => {
    const result = await runCli(['completion', 'powershell']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'hangar-events: no completion for the shell "powershell": hangar-events completes bash, zsh and fish (hangar-events completion bash|zsh|fish; see hangar-events completion --help for where each script goes)\n',
    );
    expect(result.stdout).toBe('');
  });
});
