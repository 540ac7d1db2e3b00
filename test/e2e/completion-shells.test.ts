import { afterEach, expect, it } from 'vitest';
import { renderBashCompletion } from '../../src/commands/completion/bash.js';
import { renderFishCompletion } from '../../src/commands/completion/fish.js';
import { buildCompletionModel } from '../../src/commands/completion/model.js';
import { renderZshCompletion } from '../../src/commands/completion/zsh.js';
import { check, completeInBash, completeInFish, completeInZsh, writeScript } from '../helpers/shell-completion.js';
import { requireProgram } from '../helpers/require-program.js';
import { sampleProgram } from '../helpers/completion-sample.js';

/** The completion scripts, run in the real shells (bash, zsh, fish): spawned shells, so e2e. */

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

function scriptFile(script: string, name: string): string {
  const file = writeScript(script, name);
  cleanups.push(file.dispose);
  return file.path;
}

requireProgram('bash').describe('bash completion script, run in bash', () => {
  const bash = () => scriptFile(renderBashCompletion(buildCompletionModel(sampleProgram())), 'hangar-events.bash');

  it('passes bash -n', async () => {
    expect(await check('bash', ['-n', bash()])).toEqual({ code: 0, stderr: '' });
  });
  it('completes commands', async () => {
    expect(await completeInBash(bash(), '_hangar_events', ['hangar-events', 'ta'])).toEqual(['tail']);
    expect(await completeInBash(bash(), '_hangar_events', ['hangar-events', ''])).toEqual(['tail', 'serve', 'publish', 'help']);
    expect(await completeInBash(bash(), '_hangar_events', ['hangar-events', '--v'])).toEqual(['--version']);
  });
  it('completes a command\'s options, including ones added later', async () => {
    const program = sampleProgram();
    program.commands.find((c) => c.name() === 'tail')!.option('--brand-new-flag', 'added after the script generator was written');
    const path = scriptFile(renderBashCompletion(buildCompletionModel(program)), 'new.bash');
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--ty'])).toEqual(['--type']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--br'])).toEqual(['--brand-new-flag']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--no'])).toEqual(['--no-color']);
  });
  it('completes event types for --type, -t, -x and --type=', async () => {
    const path = bash();
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--type', 'Health'])).toEqual(['HealthCheckFailed', 'HealthCheckPassed']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '-t', 'HealthCheckF'])).toEqual(['HealthCheckFailed']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '-x', 'CircuitB'])).toEqual(['CircuitBreakerStateChanged']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--type', '=', 'ToolInvocationF'])).toEqual(['ToolInvocationFailed']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--type=ToolInvocationF'])).toEqual(['ToolInvocationFailed']);
  });
  it('completes the item after the last comma of a type list', async () => {
    expect(await completeInBash(bash(), '_hangar_events', ['hangar-events', 'tail', '--type', 'HealthCheckFailed,ToolInvocationF'])).toEqual([
      'HealthCheckFailed,ToolInvocationFailed',
    ]);
  });
  it('completes output formats, time and color values, and choices', async () => {
    const path = bash();
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '-o', ''])).toEqual(['pretty', 'ndjson', 'table']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--output', 'nd'])).toEqual(['ndjson']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--time', 'r'])).toEqual(['relative']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--color', 'a'])).toEqual(['auto', 'always']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'serve', '--log-format', ''])).toEqual(['pretty', 'json']);
  });
  it('completes file names for file options and file arguments', async () => {
    const path = bash();
    const dir = writeScript('{"event_type":"X"}\n', 'fleet-recording.ndjson');
    cleanups.push(dir.dispose);
    const prefix = dir.path.replace(/recording\.ndjson$/, '');
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'serve', '--replay', prefix])).toEqual([dir.path]);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--record', prefix])).toEqual([dir.path]);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'publish', prefix])).toEqual([dir.path]);
  });
  it('proposes nothing for a value it cannot know, and options after a value', async () => {
    const path = bash();
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '-n', ''])).toEqual([]);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '-n', '3', '--qu'])).toEqual(['--quiet']);
    expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'help', 'se'])).toEqual(['serve']);
  });
});

requireProgram('zsh').describe('zsh completion script', () => {
  const zsh = () => scriptFile(renderZshCompletion(buildCompletionModel(sampleProgram())), '_hangar-events');

  it('passes zsh -n', async () => {
    expect(await check('zsh', ['-n', zsh()])).toEqual({ code: 0, stderr: '' });
  });
  it('registers its function with compdef when sourced after compinit', async () => {
    const path = zsh();
    const result = await check('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -D && source ${path} && [[ \${_comps[hangar-events]} == _hangar_events ]]`]);
    expect(result).toEqual({ code: 0, stderr: '' });
  });
  it('completes commands, options, event types and formats in a real zsh completion widget', async () => {
    const path = zsh();
    expect(await completeInZsh(path, 'hangar-events ta')).toEqual(['tail']);
    expect(await completeInZsh(path, 'hangar-events tail --exclude-t')).toEqual(['--exclude-type']);
    expect((await completeInZsh(path, 'hangar-events tail --type Health')).sort()).toEqual(['HealthCheckFailed', 'HealthCheckPassed']);
    expect(await completeInZsh(path, 'hangar-events tail --type=ToolInvocationF')).toEqual(['ToolInvocationFailed']);
    // After a comma, _values completes the next item (the typed head stays in place).
    expect(await completeInZsh(path, 'hangar-events tail --type HealthCheckFailed,ToolInvocationF')).toEqual(['ToolInvocationFailed']);
    expect((await completeInZsh(path, 'hangar-events tail -o ')).sort()).toEqual(['ndjson', 'pretty', 'table']);
    expect((await completeInZsh(path, 'hangar-events serve --log-format ')).sort()).toEqual(['json', 'pretty']);
  }, 90_000); // seven real zsh sessions, each a few seconds on a loaded machine
  it('declares event types, formats and repeatable options in _arguments specs', () => {
    const script = renderZshCompletion(buildCompletionModel(sampleProgram()));
    expect(script).toContain("'*--type=[event types to show]:pattern:_values -s , \"pattern\" CircuitBreakerStateChanged");
    expect(script).toContain("'*-o+[pretty, ndjson or table]:format:(pretty ndjson table)'");
    expect(script).toContain("'tail:follow the stream'");
    // Brackets in descriptions are escaped, quotes survive single-quoting.
    expect(script).toContain("'*--time=[how to show times ('\\''local'\\'' \\[default\\])]:mode:(local utc iso relative none)'");
  });
});

requireProgram('fish').describe('fish completion script, run in fish', () => {
  const fish = () => scriptFile(renderFishCompletion(buildCompletionModel(sampleProgram())), 'hangar-events.fish');

  it('passes fish --no-execute', async () => {
    expect(await check('fish', ['--no-execute', fish()])).toEqual({ code: 0, stderr: '' });
  });
  it('completes commands, options and values', async () => {
    const path = fish();
    expect(await completeInFish(path, 'hangar-events ta')).toEqual(['tail']);
    expect(await completeInFish(path, 'hangar-events tail --ty')).toEqual(['--type']);
    expect((await completeInFish(path, 'hangar-events tail --type Health')).sort()).toEqual(['HealthCheckFailed', 'HealthCheckPassed']);
    expect(await completeInFish(path, 'hangar-events tail --type HealthCheckFailed,ToolInvocationF')).toEqual(['HealthCheckFailed,ToolInvocationFailed']);
    expect(await completeInFish(path, 'hangar-events tail -o nd')).toEqual(['ndjson']);
    expect(await completeInFish(path, 'hangar-events serve --log-format j')).toEqual(['json']);
  });
});
