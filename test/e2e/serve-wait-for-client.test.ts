import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, runCli, startCli } from '../helpers/spawn.js';

/**
 * `serve --replay FILE --wait-for-client` (and `--stdin`): the sources start
 * when the first client connects, so a tail started after serve still sees
 * the recording from its first event. `--speed max` would otherwise have
 * replayed everything into an empty room before the tail connected.
 */

afterEach(killAll);

const RECORDING = fileURLToPath(new URL('../fixtures/recorded.ndjson', import.meta.url));
/** The recording's events (it also holds a blank line, a line that is not JSON and an array, which serve skips). */
const RECORDED_TYPES = readFileSync(RECORDING, 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('{'))
  .map((line) => (JSON.parse(line) as { event_type: string }).event_type);
const listening = /listening on (ws:\/\/127\.0\.0\.1:\d+\/api\/ws\/events)/;

describe('serve --wait-for-client', () => {
  it('--replay --speed max: a tail that connects later gets every recorded event, in order', async () => {
    const serve = startCli(['serve', '--port', '0', '--replay', RECORDING, '--speed', 'max', '--wait-for-client']);
    const url = (await serve.waitFor('stderr', listening))[1]!;
    await serve.waitFor('stderr', /waiting for the first client before starting .*recorded\.ndjson \(--wait-for-client\)/);
    expect(serve.stderr()).not.toContain('ended');
    const tail = await runCli(['tail', url, '-n', String(RECORDED_TYPES.length), '--timeout', '30s'], { timeoutMs: 40_000 });
    expect(tail.code).toBe(0);
    const types = tail.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { event_type: string }).event_type);
    expect(types).toEqual(RECORDED_TYPES);
    await serve.waitFor('stderr', /ended: \d+ events published/);
  });

  it('--stdin: piped events wait for the first client', async () => {
    const serve = startCli(['serve', '--port', '0', '--stdin', '--wait-for-client']);
    serve.child.stdin!.end(['{"event_type":"McpServerStarted","mcp_server_id":"math"}', '{"event_type":"HealthCheckPassed","mcp_server_id":"math"}', ''].join('\n'));
    const url = (await serve.waitFor('stderr', listening))[1]!;
    await serve.waitFor('stderr', /waiting for the first client before starting stdin/);
    const tail = await runCli(['tail', url, '-n', '2', '--timeout', '30s'], { timeoutMs: 40_000 });
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { event_type: string }).event_type)).toEqual(['McpServerStarted', 'HealthCheckPassed']);
  });
});
