import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { registerServe } from '../../src/commands/serve/register.js';
import { toServeOptions, type ServeOptions } from '../../src/commands/serve/options.js';
import { createTestIO } from '../helpers/test-io.js';

async function parse(args: string[], env: Record<string, string> = {}): Promise<ServeOptions> {
  const io = createTestIO({ env });
  const program = new Command().exitOverride();
  let captured: ServeOptions | undefined;
  registerServe(program, io, async (options) => {
    captured = options;
  });
  await program.parseAsync(['serve', ...args], { from: 'user' });
  return captured!;
}

describe('serve options', () => {
  it('has the gateway defaults and the demo as the default source', async () => {
    const options = await parse([]);
    expect(options.server).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      path: '/api/ws/events',
      apiKeys: [],
      queueSize: 1024,
      historySize: 10000,
      pingIntervalMs: 55_000,
      pongTimeoutMs: 10_000,
      stallTimeoutMs: 60_000,
      maxClients: undefined,
      chaosDrop: 0,
      chaosDisconnectMs: undefined,
    });
    expect(options.demo).toEqual({ servers: 5, ratePerSec: 5, seed: undefined, profile: 'current' });
    expect(options.stdin).toBe(false);
    expect(options.replay).toBeUndefined();
    expect(options.logFormat).toBe('pretty');
  });

  it('parses every flag', async () => {
    const options = await parse(
      ['--host', '::1', '-p', '0', '--path', '/events', '--api-key', 'a', '--api-key', 'b', '--api-key-file', 'keys.txt', '--allow-origin', 'https://x.example',
        '--queue-size', '10', '--history', '0', '--ping-interval', '500ms', '--pong-timeout', '2s', '--stall-timeout', '1m', '--max-clients', '3',
        '--log-format', 'json', '--servers', '7', '--rate', 'max', '--seed', '42', '--chaos-disconnect', '5s', '--chaos-drop', '0.25', '--demo', '--stdin'],
      { HANGAR_API_KEY: 'from-env' },
    );
    expect(options.server).toMatchObject({
      host: '::1', port: 0, path: '/events', apiKeys: ['a', 'b', 'from-env'], allowOrigins: ['https://x.example'], queueSize: 10, historySize: 0,
      pingIntervalMs: 500, pongTimeoutMs: 2000, stallTimeoutMs: 60_000, maxClients: 3, chaosDisconnectMs: 5000, chaosDrop: 0.25,
    });
    expect(options.apiKeyFile).toBe('keys.txt');
    expect(options.logFormat).toBe('json');
    expect(options.demo).toEqual({ servers: 7, ratePerSec: 'max', seed: 42, profile: 'current' });
    expect(options.stdin).toBe(true);
  });

  it('keeps a 2048-event history by default at --rate max, and what --history says when it is given', async () => {
    expect((await parse(['--rate', 'max'])).server.historySize).toBe(2048);
    expect((await parse(['--rate', ' max '])).server.historySize).toBe(2048);
    expect((await parse(['--rate', 'max', '--history', '10000'])).server.historySize).toBe(10000);
    expect((await parse(['--rate', 'max', '--history', '0'])).server.historySize).toBe(0);
    expect((await parse(['--rate', '1000'])).server.historySize).toBe(10000);
  });

  it('turns the demo off when another source is given, unless --demo', async () => {
    expect((await parse(['--stdin'])).demo).toBeUndefined();
    expect((await parse(['--replay', 'x.ndjson', '--speed', '10', '--loop'])).replay).toEqual({ path: 'x.ndjson', speed: 10, loop: true });
    expect((await parse(['--replay', 'x.ndjson'])).demo).toBeUndefined();
    expect((await parse(['--no-demo'])).demo).toBeUndefined();
    expect((await parse(['--replay', 'x.ndjson', '--demo'])).demo).toBeDefined();
  });

  it('throws usage errors naming the flag', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ port: '70000' }, /--port/],
      [{ port: 'x' }, /--port/],
      [{ queueSize: '0' }, /--queue-size/],
      [{ history: '-1' }, /--history/],
      [{ pingInterval: 'soon' }, /--ping-interval/],
      [{ logFormat: 'xml' }, /--log-format/],
      [{ rate: '0' }, /--rate/],
      [{ chaosDrop: '1' }, /--chaos-drop/],
      [{ chaosDrop: 'lots' }, /--chaos-drop/],
      [{ path: 'events' }, /--path/],
      [{ speed: '2' }, /--speed/],
      [{ stdin: true, seed: '1' }, /--seed/],
      [{ apiKey: [' '] }, /--api-key/],
      [{ maxClients: '0' }, /--max-clients/],
    ];
    for (const [flags, message] of bad) {
      expect(() => toServeOptions(flags, {}), JSON.stringify(flags)).toThrow(UsageError);
      expect(() => toServeOptions(flags, {})).toThrow(message);
    }
  });
});
