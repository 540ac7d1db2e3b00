import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { killAll, runCli, startCli } from '../helpers/spawn.js';

/** `tail --exec CMD` and `--bell`, from the real binary against serve. */

const dirs: string[] = [];
afterEach(async () => {
  await killAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function serveWith(events: object[]): Promise<string> {
  const serve = startCli(['serve', '--port', '0', '--no-demo']);
  const [, url, port] = await serve.waitFor('stderr', /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events)/);
  const response = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', body: events.map((e) => JSON.stringify(e)).join('\n') });
  expect(response.status).toBeLessThan(300);
  return url!;
}

const failures = [1, 2, 3, 4, 5].map((seq) => ({ event_type: 'ToolInvocationFailed', mcp_server_id: 'math', tool_name: 'div', error_message: `boom ${seq}`, seq }));

const sh = requireProgram('bash');

sh.describe('tail --exec', () => {
  sh.it('runs the command per event with the JSON on stdin and HANGAR_EVENT* set; a failing command is reported, the stream goes on', async () => {
    const url = await serveWith(failures);
    const dir = mkdtempSync(join(tmpdir(), 'hangar-exec-'));
    dirs.push(dir);
    const command = 'cat >> "$OUT/stdin.ndjson"; echo "$HANGAR_EVENT_TYPE $HANGAR_EVENT_SERVER $HANGAR_EVENT_TOOL_NAME $HANGAR_EVENT_SEQ" >> "$OUT/env.txt"; [ "$HANGAR_EVENT_SEQ" != 3 ]';
    const result = await runCli(['tail', url, '--history', '5', '-n', '5', '--exec', command, '--exec-concurrency', '1'], { env: { OUT: dir }, timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(5);
    const lines = readFileSync(join(dir, 'env.txt'), 'utf8').trim().split('\n');
    expect(lines).toEqual([1, 2, 3, 4, 5].map((seq) => `ToolInvocationFailed math div ${seq}`));
    const stdin = readFileSync(join(dir, 'stdin.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { seq: number; error_message: string });
    expect(stdin.map((event) => event.error_message)).toEqual(['boom 1', 'boom 2', 'boom 3', 'boom 4', 'boom 5']);
    expect(result.stderr).toMatch(/hangar-events: --exec failed for ToolInvocationFailed [0-9a-f-]{36}: exit code 1\n/);
    expect(result.stderr).toContain('hangar-events: --exec: 5 commands run, 1 failed, 0 events skipped');
  });

  sh.it('a command that does not finish does not hold the stream back', async () => {
    const url = await serveWith(failures);
    const dir = mkdtempSync(join(tmpdir(), 'hangar-exec-'));
    dirs.push(dir);
    const gate = join(dir, 'gate');
    // The command waits for the test to open the gate, which it does only once tail printed every event.
    const tail = startCli(['tail', url, '--history', '5', '-n', '5', '--exec', `cat > /dev/null; while [ ! -e "${gate}" ]; do sleep 0.05; done`, '--exec-concurrency', '1']);
    await tail.waitFor('stdout', /("seq": ?5)/, 15_000);
    expect(tail.stdout().trim().split('\n')).toHaveLength(5);
    expect(existsSync(gate)).toBe(false);
    writeFileSync(gate, '');
    expect((await tail.exited).code).toBe(0);
  });

  sh.it('--exec-concurrency alone and an empty --exec are usage errors', async () => {
    const alone = await runCli(['tail', 'ws://127.0.0.1:9', '--exec-concurrency', '2']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--exec-concurrency limits the commands of --exec: use it with --exec');
    const empty = await runCli(['tail', 'ws://127.0.0.1:9', '--exec', ' ']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('empty --exec');
  });
});
