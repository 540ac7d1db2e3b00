import { afterEach, describe, expect, it } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { killPtys, startInPty } from '../helpers/pty.js';
import { runCli } from '../helpers/spawn.js';
import { useFrameServers } from '../helpers/frame-server.js';
import { gatewayApproval, startFakeGateway } from '../helpers/fake-gateway.js';
import { stripControl } from '../../src/protocol/sanitize.js';

/**
 * `tail -o ndjson` writes the server's bytes; on a terminal a peer's string
 * may not drive it: JSON cannot hold ESC raw, but it can hold C1 controls
 * (U+009B is a CSI to some terminals), DEL, bidi overrides and invisible
 * characters. On a terminal they are written as JSON escapes (the line parses
 * to the same event); into a pipe the bytes stay the server's.
 */

afterEach(killPtys);

const serveFrames = useFrameServers();
const pty = requireProgram('script');

const hostile = {
  event_type: 'ToolInvocationCompleted',
  event_id: 'e-1',
  occurred_at: 1796649967.28,
  mcp_server_id: 'ma\u200bth',
  tool_name: 'csi \u009b2J del \u007f rlo \u202eexe.txt tag \u{e0041}',
};
const plain = { event_type: 'HealthCheckPassed', event_id: 'e-2', occurred_at: 1796649967.29, mcp_server_id: 'fetch' };
const frames = [JSON.stringify(hostile), JSON.stringify(plain)];

pty.describe('tail -o ndjson on a terminal', () => {
  pty.it('escapes what a terminal would act on or hide, and each line parses to the event the server sent', async () => {
    const url = await serveFrames(frames, []);
    const run = startInPty(['tail', url, '-o', 'ndjson', '-n', '2', '-q']);
    expect(await run.exited).toBe(0);
    const output = run.output();
    expect(output).not.toMatch(/[\u007f-\u009f\u200b\u202e]|\u{e0041}/u);
    const lines = output.split(/\r?\n/).filter((line) => line.startsWith('{'));
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([hostile, plain]);
    expect(lines[0]).toContain('ma\\u200bth');
    expect(lines[0]).toContain('\\u009b2J');
    expect(lines[1]).toBe(frames[1]);
  }, 30_000);
});

describe('tail -o ndjson into a pipe', () => {
  it('writes the server bytes as they are', async () => {
    const url = await serveFrames(frames, []);
    const result = await runCli(['tail', url, '-o', 'ndjson', '-n', '2', '-q']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${frames[0]}\n${frames[1]}\n`);
  }, 30_000);
});

pty.describe('approvals -o ndjson on a terminal', () => {
  pty.it('escapes a hostile argument as tail does, and each line parses to the approval the gateway sent', async () => {
    const record = gatewayApproval({ approval_id: 'a1000000-0000-4000-8000-000000000009', arguments: { path: '/tmp/x', content: 'csi \u009b2J rlo \u202etxt.exe zw \u200b' } });
    const gateway = await startFakeGateway({ approvals: { records: [record] } });
    try {
      const run = startInPty(['approvals', '--url', `http://127.0.0.1:${gateway.port}`, '-o', 'ndjson']);
      expect(await run.exited).toBe(0);
      const output = run.output();
      expect(output).not.toMatch(/[\u007f-\u009f\u200b\u202e]/u);
      const lines = output.split(/\r?\n/).filter((line) => line.startsWith('{'));
      expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([record]);
      expect(lines[0]).toContain('\\u202etxt.exe');
    } finally {
      await gateway.close();
    }
  }, 30_000);
});

pty.describe('tail --calls -o ndjson and top -o ndjson on a terminal', () => {
  const T = 1_795_000_000;
  const tool = 'ad\u200bd \u202eexe \u009b2J';
  const callFrames = [
    { event_type: 'ToolInvocationRequested', event_id: 'c1', mcp_server_id: 'math', tool_name: tool, correlation_id: 'c-1', occurred_at: T },
    { event_type: 'ToolInvocationCompleted', event_id: 'c2', mcp_server_id: 'math', tool_name: tool, correlation_id: 'c-1', duration_ms: 3, occurred_at: T + 0.003 },
  ].map((event) => JSON.stringify(event));

  pty.it('tail --calls: the call line escapes the tool name and parses to it', async () => {
    const url = await serveFrames(callFrames, []);
    const run = startInPty(['tail', url, '--calls', '-o', 'ndjson', '-n', '1', '-q']);
    expect(await run.exited).toBe(0);
    const output = run.output();
    expect(output).not.toMatch(/[\u007f-\u009f\u200b\u202e]/u);
    const lines = output.split(/\r?\n/).filter((line) => line.startsWith('{'));
    expect(lines.map((line) => (JSON.parse(line) as { tool_name: string }).tool_name)).toEqual([tool]);
  }, 30_000);

  pty.it('top --by tool: rows carry the tool name as the sanitizer shows it (top keeps names sanitized)', async () => {
    const url = await serveFrames(callFrames, []);
    const run = startInPty(['top', url, '--by', 'tool', '-o', 'ndjson', '--once', '--interval', '1s', '-q']);
    expect(await run.exited).toBe(0);
    const output = run.output();
    expect(output).not.toMatch(/[\u007f-\u009f\u200b\u202e]/u);
    const rows = output.split(/\r?\n/).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.map((row) => row.tool), output).toEqual([stripControl(tool)]);
  }, 30_000);
});
