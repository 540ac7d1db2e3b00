import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseKeyFile } from '../../src/credentials.js';
import { parsePublishOptions, toIngestUrl, type PublishOptions } from '../../src/commands/publish/options.js';
import { displayUrl } from '../../src/format/url.js';
import { registerPublish } from '../../src/commands/publish/register.js';
import { createTestIO } from '../helpers/test-io.js';

describe('toIngestUrl', () => {
  it.each([
    ['http://127.0.0.1:8000', 'http://127.0.0.1:8000/api/events'],
    ['http://127.0.0.1:8000/', 'http://127.0.0.1:8000/api/events'],
    ['127.0.0.1:9000', 'http://127.0.0.1:9000/api/events'],
    ['localhost', 'http://localhost/api/events'],
    ['ws://localhost:8000/api/ws/events', 'http://localhost:8000/api/events'],
    ['wss://hangar.example.com/api/ws/events', 'https://hangar.example.com/api/events'],
    ['wss://hangar.example.com', 'https://hangar.example.com/api/events'],
    ['https://proxy.example.com/hangar/api/ws/events', 'https://proxy.example.com/hangar/api/events'],
    ['https://proxy.example.com/hangar/', 'https://proxy.example.com/hangar/api/events'],
    ['http://h:1/api/events', 'http://h:1/api/events'],
    ['[::1]:8000', 'http://[::1]:8000/api/events'],
  ])('%s -> %s', (input, expected) => {
    expect(toIngestUrl(input).href).toBe(expected);
  });

  it('refuses other schemes and garbage with a usage error', () => {
    expect(() => toIngestUrl('ftp://x')).toThrow(UsageError);
    expect(() => toIngestUrl('http://')).toThrow(UsageError);
    expect(() => toIngestUrl('  ')).toThrow(UsageError);
  });

  it('never shows credentials embedded in the URL', () => {
    expect(displayUrl(toIngestUrl('http://user:secret@h:1'))).toBe('http://h:1/api/events');
  });
});

describe('parsePublishOptions', () => {
  it('defaults to $HANGAR_URL, else 127.0.0.1:8000, and to stdin', () => {
    expect(parsePublishOptions(undefined, {}, {}).url.href).toBe('http://127.0.0.1:8000/api/events');
    const fromEnv = parsePublishOptions('-', {}, { HANGAR_URL: 'ws://gw:8000/api/ws/events' });
    expect(fromEnv.url.href).toBe('http://gw:8000/api/events');
    expect(fromEnv.file).toBeUndefined();
    expect(parsePublishOptions('x.ndjson', { url: 'h:2' }, { HANGAR_URL: 'ws://gw:8000' }).url.href).toBe('http://h:2/api/events');
  });

  it('takes the key from --api-key, --api-key-file or HANGAR_API_KEY, in that order', () => {
    expect(parsePublishOptions(undefined, { apiKey: 'k1' }, { HANGAR_API_KEY: 'k3' })).toMatchObject({ apiKey: 'k1', apiKeySource: '--api-key' });
    expect(parsePublishOptions(undefined, { apiKeyFile: 'f' }, { HANGAR_API_KEY: 'k3' }, parseKeyFile('# comment\n\n k2 \nother\n'))).toMatchObject({ apiKey: 'k2', apiKeySource: '--api-key-file' });
    expect(parsePublishOptions(undefined, {}, { HANGAR_API_KEY: 'k3' })).toMatchObject({ apiKey: 'k3', apiKeySource: 'HANGAR_API_KEY' });
    expect(parsePublishOptions(undefined, {}, {})).toMatchObject({ apiKey: undefined, bearer: false });
  });

  it('refuses contradictions and bad values with usage errors', () => {
    expect(() => parsePublishOptions(undefined, { apiKey: 'a', apiKeyFile: 'f' }, {}, ['k'])).toThrow(/either --api-key or --api-key-file/);
    expect(() => parsePublishOptions(undefined, { apiKeyFile: 'keys.txt' }, {}, parseKeyFile('\n# none\n'))).toThrow(/contains no key/);
    expect(() => parsePublishOptions(undefined, { bearer: true }, {})).toThrow(/--bearer needs a credential/);
    expect(() => parsePublishOptions(undefined, { batchSize: '0' }, {})).toThrow(UsageError);
    expect(() => parsePublishOptions(undefined, { timeout: 'soon' }, {})).toThrow(UsageError);
    expect(parsePublishOptions(undefined, { batchSize: '25', timeout: '2s' }, {})).toMatchObject({ batchSize: 25, timeoutMs: 2000 });
  });

  it('reads the first key of a key file', () => {
    expect(parseKeyFile('\r\n# c\r\nabc\r\n')).toEqual(['abc']);
    expect(parseKeyFile('')).toEqual([]);
  });
});

describe('registerPublish', () => {
  it('parses flags into options and hands them to run', async () => {
    const io = createTestIO({ env: { HANGAR_API_KEY: 'env-key' } });
    const program = new Command('hangar-events').exitOverride();
    let got: PublishOptions | undefined;
    registerPublish(program, io, async (options) => {
      got = options;
    });
    await program.parseAsync(['publish', 'events.ndjson', '--url', 'ws://h:9/api/ws/events', '--bearer', '--batch-size', '3'], { from: 'user' });
    expect(got).toMatchObject({ file: 'events.ndjson', apiKey: 'env-key', apiKeySource: 'HANGAR_API_KEY', bearer: true, batchSize: 3 });
    expect(got!.url.href).toBe('http://h:9/api/events');
  });
});
