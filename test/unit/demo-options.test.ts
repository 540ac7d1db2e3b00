import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { toDemoOptions } from '../../src/commands/demo/options.js';

describe('toDemoOptions', () => {
  it('runs the fleet on 127.0.0.1 on a free port, without an API key, and shows pretty lines in a pipe', async () => {
    const options = await toDemoOptions({}, { stdoutIsTTY: false });
    expect(options.serve.server.host).toBe('127.0.0.1');
    expect(options.serve.server.port).toBe(0);
    expect(options.serve.server.apiKeys).toEqual([]);
    expect(options.serve.demo).toMatchObject({ servers: 5 });
    expect(options.tail.output).toBe('pretty');
    expect(options.tail.apiKey).toBeUndefined();
  });
  it('shows the live table when stdout is a terminal', async () => {
    expect((await toDemoOptions({}, { stdoutIsTTY: true })).tail.output).toBe('table');
    expect((await toDemoOptions({ output: 'pretty' }, { stdoutIsTTY: true })).tail.output).toBe('pretty');
  });
  it('is quiet about connecting (its own hint says where) and carries no API key', async () => {
    const options = await toDemoOptions({}, { stdoutIsTTY: false });
    expect(options.tail.quiet).toBe(true);
    expect(options.tail.apiKey).toBeUndefined();
    expect(options.serve.server.apiKeys).toEqual([]);
  });
  it('passes the fleet and view flags through serve and tail parsing', async () => {
    const options = await toDemoOptions(
      { port: '8123', servers: '3', rate: '20', seed: '42', output: 'ndjson', type: ['*Failed'], server: ['math'] },
      { stdoutIsTTY: true },
    );
    expect(options.serve.server.port).toBe(8123);
    expect(options.serve.demo).toEqual({ servers: 3, ratePerSec: 20, seed: 42, profile: 'current' });
    expect(options.tail.output).toBe('ndjson');
    expect(options.tail.types).toEqual(['*Failed']);
    expect(options.tail.servers).toEqual(['math']);
  });
  it('refuses bad values with usage errors that name the flag', async () => {
    await expect(toDemoOptions({ output: 'html' }, { stdoutIsTTY: false })).rejects.toThrow(UsageError);
    await expect(toDemoOptions({ rate: 'fast' }, { stdoutIsTTY: false })).rejects.toThrow(/--rate/);
    await expect(toDemoOptions({ port: '99999' }, { stdoutIsTTY: false })).rejects.toThrow(/--port/);
  });
});
