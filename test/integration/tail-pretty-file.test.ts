import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_OPTIONS, startServer, type RunningServer } from '../../src/server/server.js';
import { startTail, type InProcessTail } from '../helpers/run-tail.js';
import { createTestIO } from '../helpers/test-io.js';

/** `-o pretty` shortens bulky fields for a person at a terminal only (README: -v/--wide). */

const servers: RunningServer[] = [];
const tails: InProcessTail[] = [];
afterEach(async () => {
  for (const t of tails.splice(0)) {
    t.io.emitSignal('SIGINT');
    await t.done.catch(() => {});
  }
  for (const s of servers.splice(0)) await s.close();
});

const CORRELATION = 'c0ffee00-1111-4222-8333-444455556666';
const ARGUMENTS = { path: '/srv/data/reports/2026/q4/summary.csv', mode: 'read', encoding: 'utf-8' };

async function prettyLine(stdoutTTY: boolean): Promise<string> {
  const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0 }, createTestIO());
  servers.push(server);
  server.hub.publish({ event_type: 'ToolInvocationRequested', mcp_server_id: 'fs', tool_name: 'read_file', correlation_id: CORRELATION, arguments: ARGUMENTS });
  const t = startTail([server.url, '-o', 'pretty', '--history', '1', '--no-follow', '--time', 'none'], { stdoutTTY, columns: 400 });
  tails.push(t);
  await t.done;
  return t.io.stdout.text();
}

describe('-o pretty ids and arguments', () => {
  it('are shown in full into a file or a pipe, and short on a terminal', async () => {
    const file = await prettyLine(false);
    expect(file).toContain(CORRELATION);
    expect(file).toContain(JSON.stringify(ARGUMENTS));
    const terminal = await prettyLine(true);
    expect(terminal).not.toContain(CORRELATION);
    expect(terminal).toContain('c0ffee00…');
  });
});
