import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors.js';
import { StreamClient } from '../../src/client/stream-client.js';
import { TAIL_CLIENT_HINTS } from '../../src/commands/tail/flag-hints.js';

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failureOf(hints: typeof TAIL_CLIENT_HINTS | undefined): Promise<Error> {
  const port = await closedPort();
  const client = new StreamClient({
    url: `ws://127.0.0.1:${port}/api/ws/events`,
    subscription: {},
    reconnect: false,
    ...(hints ? { hints } : {}),
    monotonicMs: () => performance.now(),
    nowMs: () => Date.now(),
  });
  client.start();
  const error = await client.finished.then(
    () => new Error('the client ended without an error'),
    (e: Error) => e,
  );
  await client.stop();
  return error;
}

describe('StreamClient messages name no command-line flags of their own', () => {
  it('says what was asked by its meaning when embedded without hints', async () => {
    const error = await failureOf(undefined);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/\(not reconnecting: reconnects are off\)$/);
    expect(error.message).not.toMatch(/--[a-z]/);
  });

  it('names the flag when tail passes its hints', async () => {
    const error = await failureOf(TAIL_CLIENT_HINTS);
    expect(error.message).toMatch(/\(not reconnecting: --no-reconnect\)$/);
  });
});
