import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/spawn.js';

describe('help that teaches', () => {
  it('ends the program help with real examples and the environment variables', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const help = result.stdout;
    expect(help).toMatch(/^Usage: hangar-events /);
    for (const example of [
      'hangar-events tail --type McpServerStarted --server math -n 1 --timeout 30s',
      "hangar-events tail -o ndjson | jq -r 'select(.duration_ms > 500) | .tool_name'",
      'hangar-events tail --record fleet.ndjson',
      'hangar-events serve --replay fleet.ndjson --speed 10',
      'HANGAR_API_KEY=... hangar-events tail',
    ]) {
      expect(help).toContain(example);
    }
    for (const variable of ['HANGAR_URL', 'HANGAR_API_KEY', 'NO_COLOR', 'FORCE_COLOR']) expect(help).toMatch(new RegExp(`^  ${variable} `, 'm'));
    // Every command is listed (commands are declared lazily, only the invoked one otherwise).
    for (const command of ['tail', 'serve', 'demo', 'publish', 'types', 'completion']) expect(help).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    // The examples come after the generated command list.
    expect(help.indexOf('Examples:')).toBeGreaterThan(help.indexOf('Commands:'));
  });

  it('shows the same help for `help`', async () => {
    const [flag, command] = await Promise.all([runCli(['--help']), runCli(['help'])]);
    expect(command.stdout).toBe(flag.stdout);
  });

  it('shows the same command help for `help tail` as for `tail --help`', async () => {
    const [flag, command] = await Promise.all([runCli(['tail', '--help']), runCli(['help', 'tail'])]);
    expect(flag.code).toBe(0);
    expect(flag.stdout).toMatch(/^Usage: hangar-events tail /);
    expect(flag.stdout).toContain('--exclude-type <pattern>');
    expect(command.stdout).toBe(flag.stdout);
  });

  it("groups tail --help options under the README's headings", async () => {
    const { stdout } = await runCli(['tail', '--help']);
    const headings = stdout.split('\n').filter((line) => /^[A-Z][^:]*:$/.test(line));
    expect(headings).toEqual(['Arguments:', 'Filters:', 'Output:', 'Where it connects:', 'Connection behaviour:', 'History and exit conditions:', 'History from the event store:', 'The live table (-o table):', 'Options:', 'Examples:']);
    const section = (heading: string) => stdout.slice(stdout.indexOf(`\n${heading}\n`), stdout.indexOf('\n\n', stdout.indexOf(`\n${heading}\n`) + 1));
    expect(section('Filters:')).toContain('--where <expr>');
    expect(section('Where it connects:')).toContain('--api-key-file <file>');
    expect(section('History and exit conditions:')).toContain('--timeout <duration>');
    expect(section('History from the event store:')).toContain('--store-interval <duration>');
  });

  it('suggests the closest option for a mistyped command option and exits 2', async () => {
    const result = await runCli(['tail', '--typ', 'X']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--typ'");
    expect(result.stderr).toContain('(Did you mean --type?)');
    expect(result.stdout).toBe('');
  });

  it('suggests the closest option for a mistyped program option and exits 2', async () => {
    const result = await runCli(['--verison']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('(Did you mean --version?)');
    expect(result.stdout).toBe('');
  });
});
