import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { BIN, e2eEnv, killAll, runCli, startCli } from '../helpers/spawn.js';

/** `tail --record FILE` when the disk fills up: the file ends at a whole line, and what was not recorded is counted. */

const dirs: string[] = [];
afterEach(async () => {
  await killAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const EVENTS = 300;

/** A serve holding EVENTS numbered events of about 200 bytes each; resolves its URL. */
async function serveWithHistory(): Promise<string> {
  const serve = startCli(['serve', '--port', '0', '--no-demo']);
  const [, url, port] = await serve.waitFor('stderr', /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events)/);
  const body = Array.from({ length: EVENTS }, (_, i) => JSON.stringify({ event_type: 'ToolInvocationCompleted', event_id: `e-${i}`, mcp_server_id: 'math', seq: i, note: 'n'.repeat(150) })).join('\n');
  const posted = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body });
  expect(posted.status).toBe(202);
  return url!;
}

/** Runs the real binary under a file size limit (bash's ulimit -f, in KiB), as a full disk would stop it. */
function runLimited(kib: number, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `ulimit -f ${kib}; exec "$0" "$@"`, process.execPath, BIN, ...args], { env: e2eEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('tail --record on a full disk', () => {
  requireProgram('bash').it('cuts the file back to its last whole line, counts what was not recorded, still prints --stats and exits 1', async () => {
    const url = await serveWithHistory();
    const dir = mkdtempSync(join(tmpdir(), 'hangar-record-'));
    dirs.push(dir);
    const file = join(dir, 'events.ndjson');
    const result = await runLimited(16, ['tail', url, '--history', String(EVENTS), '--no-follow', '--record', file, '--stats', '-o', 'ndjson']);

    expect(result.code).toBe(1);
    // Every event was still shown.
    expect(result.stdout.trim().split('\n')).toHaveLength(EVENTS);
    const text = readFileSync(file, 'utf8');
    expect(statSync(file).size).toBeLessThanOrEqual(16 * 1024);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    lines.forEach((line, i) => expect(JSON.parse(line)).toMatchObject({ seq: i }));
    const recorded = lines.length;
    expect(recorded).toBeGreaterThan(0);
    expect(recorded).toBeLessThan(EVENTS);
    expect(result.stderr).toContain(`cannot write the recording file ${file} (EFBIG: the file is over the size limit): recording stopped after ${recorded} events; the file ends at its last whole line; the stream goes on`);
    expect(result.stderr).toContain(`${recorded} events recorded, ${EVENTS - recorded} events shown but not recorded`);
    // --stats still printed.
    expect(result.stderr).toMatch(new RegExp(`${EVENTS} events`));
  });

  it('a device with no space (/dev/full): nothing recorded, every event counted, the stream shown', async () => {
    const url = await serveWithHistory();
    const result = await runCli(['tail', url, '--history', '20', '--no-follow', '--record', '/dev/full', '-o', 'ndjson']);
    expect(result.code).toBe(1);
    expect(result.stdout.trim().split('\n')).toHaveLength(20);
    expect(result.stderr).toContain('cannot write the recording file /dev/full (ENOSPC: no space left on the device): 0 events recorded, 20 events shown but not recorded');
  });
});
