import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, e2eEnv, killAll, runCli, startCli } from '../helpers/spawn.js';
import { requireProgram } from '../helpers/require-program.js';

/** The commands of the README's tour and troubleshooting sections, run as written (with real ports). */

const exec = promisify(execFile);
afterEach(killAll);

/** Runs a shell pipeline where `hangar-events` is the built binary. */
async function pipeline(command: string): Promise<{ stdout: string; stderr: string }> {
  const script = `hangar-events() { '${process.execPath}' '${BIN}' "$@"; }\nset -o pipefail\n${command}`;
  return exec('bash', ['-c', script], { env: e2eEnv(), timeout: 60_000 });
}

async function startDemo(args: string[] = []): Promise<string> {
  const demo = startCli(['demo', '--seed', '1', ...args], { stdin: 'ignore' });
  const [, url] = await demo.waitFor('stderr', /from a second terminal: hangar-events tail (\S+)/, 20_000);
  return url!;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

requireProgram('bash').describe('README tour', () => {
  it('hangar-events demo --seed 1 | head -n 6: six pretty lines, and the demo ends quietly', async () => {
    const { stdout, stderr } = await pipeline('hangar-events demo --seed 1 | head -n 6; echo "demo=${PIPESTATUS[0]}" >&2');
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} [A-Z]\w+ /);
    // The demo's tail replays the server's history, so the fleet is shown from its very first event.
    expect(lines[0]).toMatch(/ McpServerRegistered math source=config mode=subprocess$/);
    expect(lines[3]).toMatch(/ McpServerStateChanged math cold -> initializing$/);
    expect(stderr).toContain('demo=0');
    expect(stderr).not.toMatch(/EPIPE|Error/);
  }, 90_000);

  requireProgram('jq').it('a second terminal tails the demo into jq', async () => {
    const url = await startDemo(['--rate', '200']);
    const slow = await pipeline(`hangar-events tail ${url} -q -n 200 | jq -r 'select(.duration_ms > 500) | "\\(.mcp_server_id) \\(.event_type) \\(.duration_ms)"'`);
    for (const line of slow.stdout.trim().split('\n').filter(Boolean)) expect(line).toMatch(/^\w+ \w+ \d+(\.\d+)?$/);
    const tools = await pipeline(`hangar-events tail ${url} -q --type 'ToolInvocation*' -n 2 | jq -c '{event_type, mcp_server_id, tool_name}'`);
    const events = tools.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(Object.keys(event)).toEqual(['event_type', 'mcp_server_id', 'tool_name']);
      expect(event.event_type).toMatch(/^ToolInvocation/);
    }
  }, 90_000);

  it('the --format recipe writes a TSV file from a pipe (no -o needed)', async () => {
    const url = await startDemo(['--rate', '200']);
    const { stdout, stderr } = await pipeline(
      `dir=$(mktemp -d); hangar-events tail ${url} -q -n 3 -t ToolInvocationCompleted --time none --format '{mcp_server_id}\\t{tool_name}\\t{duration_ms}' > "$dir/calls.tsv"; cat "$dir/calls.tsv"; rm -r "$dir"`,
    );
    expect(stderr).toBe('');
    const rows = stdout.trim().split('\n');
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatch(/^\w+\t\w+\t\d+(\.\d+)?$/);
  }, 90_000);
});

requireProgram('bash', 'jq').describe('README recipes for scripts', () => {
  it('the exit-code case statement tells a gateway that is down (3) from an event that did not happen', async () => {
    const port = await closedPort();
    const { stdout } = await pipeline(`hangar-events tail localhost:${port} --type McpServerStarted --server math -n 1 --timeout 1s 2>/dev/null
case $? in
  0) echo "math started" ;;
  124) echo "connected, but math did not start within 30s" ;;
  3) echo "could not reach the gateway within 30s" ;;
  *) echo "failed (see stderr)" ;;
esac`);
    expect(stdout).toBe('could not reach the gateway within 30s\n');
  });

  it('--calls -o ndjson into jq', async () => {
    const url = await startDemo(['--rate', '200']);
    const { stdout } = await pipeline(`hangar-events tail ${url} -q --history 10000 -n 30 --calls -o ndjson | jq -r 'select(.outcome=="completed") | [.mcp_server_id, .tool_name, .duration_ms] | @tsv'`);
    const rows = stdout.trim().split('\n');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/^\w+\t\w+\t\d+(\.\d+)?$/);
  }, 90_000);
});

describe('README troubleshooting', () => {
  it('cannot connect: retries, then gives up with exit 1 and says why', async () => {
    const port = await closedPort();
    const result = await runCli(['tail', `localhost:${port}`, '--max-retries', '2'], { timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('connection refused (is the server running?); reconnecting in');
    expect(result.stderr).toContain('gave up after 2 retries (--max-retries)');
    expect(result.stdout).toBe('');
  });

  it('403: a wrong key ends tail with exit 4 and never shows the key', async () => {
    const serve = startCli(['serve', '--port', '0', '--api-key', 's3cret-key']);
    const [, url] = await serve.waitFor('stderr', /listening on (ws:\/\/\S+)/, 15_000);
    const result = await runCli(['tail', url!, '-k', 'wrong-key'], { timeoutMs: 30_000 });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('answered HTTP 403 Forbidden; the credential was refused');
    expect(result.stderr + result.stdout + serve.stderr()).not.toMatch(/wrong-key|s3cret-key/);
  });

  it('nothing arrives: an unknown type gets a did-you-mean and the tail still runs', async () => {
    const url = await startDemo();
    const result = await runCli(['tail', url, '--type', 'HealthCheckFailled', '--timeout', '2s'], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("unknown event type 'HealthCheckFailled' (did you mean HealthCheckFailed, HealthCheckPassed?); tailing anyway");
  });
});
