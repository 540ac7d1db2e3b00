import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parsePublishOptions } from '../../src/commands/publish/options.js';
import { toServeOptions } from '../../src/commands/serve/options.js';
import { registerTail } from '../../src/commands/tail/register.js';
import type { TailOptions } from '../../src/commands/tail/options.js';
import { buildHeaders, hasCredentials, parseApiKeyHeader } from '../../src/credentials.js';
import { UsageError } from '../../src/errors.js';
import { createTestIO } from '../helpers/test-io.js';

async function tailOptions(args: string[]): Promise<TailOptions> {
  let received: TailOptions | undefined;
  const program = new Command('hangar-events').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerTail(program, createTestIO(), async (options) => {
    received = options;
  });
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} }));
  await program.parseAsync(['tail', ...args], { from: 'user' });
  return received!;
}

describe('--api-key-header', () => {
  it('puts the key in the named header, for tail, publish and serve', async () => {
    const tail = await tailOptions(['--api-key-header', 'X-Hangar-Key', '-k', 'mcp_1']);
    expect(tail.requestHeaders).toEqual({ 'X-Hangar-Key': 'mcp_1' });
    expect((await tailOptions(['-k', 'mcp_1'])).requestHeaders).toEqual({ 'X-API-Key': 'mcp_1' });
    expect((await tailOptions(['--bearer', '-k', 'eyJhbGciOi.x.y'])).requestHeaders).toEqual({ Authorization: 'Bearer eyJhbGciOi.x.y' });
    const publish = parsePublishOptions(undefined, { apiKeyHeader: 'X-Hangar-Key', apiKey: 'mcp_2' }, {});
    expect(publish.apiKeyHeader).toBe('X-Hangar-Key');
    expect(toServeOptions({ apiKeyHeader: 'X-Hangar-Key' }, {}).server.apiKeyHeader).toBe('X-Hangar-Key');
    expect(toServeOptions({}, {}).server.apiKeyHeader).toBe('X-API-Key');
    expect(hasCredentials(buildHeaders({ apiKey: 'k', apiKeyHeader: 'X-Hangar-Key' }), 'X-Hangar-Key')).toBe(true);
  });
  it('refuses a bad header name, Authorization, --bearer with it, and no key', async () => {
    expect(() => parseApiKeyHeader('--api-key-header', 'X Key:')).toThrow(UsageError);
    expect(() => parseApiKeyHeader('--api-key-header', 'Authorization')).toThrow(/Authorization carries bearer tokens \(JWT\/OIDC\); use --bearer/);
    await expect(tailOptions(['--api-key-header', 'X-K', '--bearer', '-k', 'x'])).rejects.toThrow(/use one/);
    await expect(tailOptions(['--api-key-header', 'X-K'])).rejects.toThrow(/there is no key/);
    expect(() => parsePublishOptions(undefined, { apiKeyHeader: 'X-K', bearer: true, apiKey: 'k' }, {})).toThrow(/use one/);
    expect(() => toServeOptions({ apiKeyHeader: 'bad header' }, {})).toThrow(/invalid --api-key-header 'bad header'/);
  });
});
