import { describe, expect, it } from 'vitest';
import { commandsFor, createProgram } from '../../src/cli/program.js';
import { createTestIO } from '../helpers/test-io.js';

const ALL = ['tail', 'top', 'serve', 'demo', 'approvals', 'approve', 'deny', 'publish', 'types', 'context', 'completion'];

describe('lazy command declaration', () => {
  it('declares only the command the line names, none for --version, all for help, typos and completion', () => {
    expect(commandsFor(['tail', '--type', 'X'])).toEqual(['tail']);
    expect(commandsFor(['serve', '--help'])).toEqual(['serve']);
    expect(commandsFor(['--version'])).toEqual([]);
    expect(commandsFor(['-V'])).toEqual([]);
    expect(commandsFor([])).toEqual(ALL);
    expect(commandsFor(['--help'])).toEqual(ALL);
    expect(commandsFor(['help', 'tail'])).toEqual(ALL);
    expect(commandsFor(['tial'])).toEqual(ALL);
    expect(commandsFor(['completion', 'bash'])).toEqual(ALL);
  });

  it('builds a program with exactly those commands', async () => {
    const io = createTestIO();
    expect((await createProgram(io, ['publish', '-'])).commands.map((c) => c.name())).toEqual(['publish']);
    expect((await createProgram(io, ['--version'])).commands).toEqual([]);
    expect((await createProgram(io)).commands.map((c) => c.name())).toEqual(ALL);
  });
});

describe('hangar-events --help', () => {
  it('names every exit code main can return', async () => {
    const { ExitCode } = await import('../../src/cli/main.js');
    const { PROGRAM_HELP_AFTER } = await import('../../src/cli/program.js');
    const line = PROGRAM_HELP_AFTER.slice(PROGRAM_HELP_AFTER.indexOf('Exit codes:')).replace(/\s+/g, ' ');
    for (const code of Object.values(ExitCode)) expect(line).toMatch(new RegExp(`[ :]${code} `));
  });
});
