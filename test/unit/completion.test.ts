import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import { runCompletion } from '../../src/commands/completion/completion.js';
import { buildCompletionModel, EVENT_TYPE_NAMES } from '../../src/commands/completion/model.js';
import { EVENT_CATALOG } from '../../src/protocol/catalog.js';
import { createTestIO } from '../helpers/test-io.js';
import { sampleProgram } from '../helpers/completion-sample.js';

describe('completion model', () => {
  it('reads commands, options and value kinds from the commander program', () => {
    const model = buildCompletionModel(sampleProgram());
    expect(model.program).toBe('hangar-events');
    expect(model.commands.map((c) => c.name)).toEqual(['tail', 'serve', 'publish', 'help']);
    const tail = model.commands[0]!;
    const byLong = new Map(tail.options.map((o) => [o.long, o]));
    expect(byLong.get('--type')!.value).toEqual({ kind: 'list', words: EVENT_TYPE_NAMES });
    expect(byLong.get('--type')!.short).toBe('-t');
    expect(byLong.get('--exclude-type')!.value.kind).toBe('list');
    expect(byLong.get('--output')!.value).toEqual({ kind: 'words', words: ['pretty', 'ndjson', 'table'] });
    expect(byLong.get('--time')!.value).toEqual({ kind: 'words', words: ['local', 'utc', 'iso', 'relative', 'none'] });
    expect(byLong.get('--color')!.value).toEqual({ kind: 'words', words: ['auto', 'always', 'never'] });
    expect(byLong.get('--record')!.value).toEqual({ kind: 'file' });
    expect(byLong.get('--count')!.value).toEqual({ kind: 'none' });
    expect(byLong.get('--count')!.takesValue).toBe(true);
    expect(byLong.get('--quiet')!.takesValue).toBe(false);
    expect(byLong.has('--no-color')).toBe(true);
    expect(byLong.has('--help')).toBe(true);
    const serve = model.commands[1]!;
    expect(serve.options.find((o) => o.long === '--log-format')!.value).toEqual({ kind: 'words', words: ['pretty', 'json'] });
    expect(model.commands[2]!.operand).toEqual({ kind: 'file' });
    expect(model.commands[3]!.operand).toEqual({ kind: 'words', words: ['tail', 'serve', 'publish'] });
  });

  it('offers every type a current gateway emits and the pre-rename aliases, not the never-emitted ones', () => {
    expect(EVENT_TYPE_NAMES).toContain('HealthCheckFailed');
    expect(EVENT_TYPE_NAMES).toContain('ToolApprovalRequested');
    expect(EVENT_TYPE_NAMES).toContain('ProviderRegistered');
    expect(EVENT_TYPE_NAMES).not.toContain('DiscoveryCycleCompleted');
    expect(EVENT_TYPE_NAMES).toEqual(EVENT_CATALOG.filter((i) => i.emitted || i.aliasOf !== undefined).map((i) => i.name));
    expect(EVENT_TYPE_NAMES).toHaveLength(85 + 10);
  });

  it('covers every command of the real program, with completion choices for shells', async () => {
    const model = buildCompletionModel(await createProgram(createTestIO()));
    const names = model.commands.map((c) => c.name);
    for (const name of ['tail', 'serve', 'demo', 'publish', 'types', 'completion', 'help']) expect(names).toContain(name);
    expect(model.commands.find((c) => c.name === 'completion')!.operand).toEqual({ kind: 'words', words: ['bash', 'zsh', 'fish'] });
  });

  it('writes the script for the asked shell to stdout', () => {
    const io = createTestIO();
    runCompletion({ shell: 'fish' }, sampleProgram(), io);
    expect(io.stdout.text()).toContain('complete -c hangar-events');
    expect(io.stderr.text()).toBe('');
  });
});
