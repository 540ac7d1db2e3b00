import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireProgram } from '../helpers/require-program.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AuthError, ConnectionError, RuntimeError } from '../../src/errors.js';
import { parsePublishOptions, type PublishFlags } from '../../src/commands/publish/options.js';
import { runPublish, STDIN_LINGER_MS } from '../../src/commands/publish/publish.js';
import { eventually } from '../helpers/eventually.js';
import { createTestIO } from '../helpers/test-io.js';

/**
 * publish against a small real HTTP server that records every request and
 * answers the way serve's POST /api/events does (202 {"accepted": n}; 400
 * {"error": "bad_event", "line": n, "unit", "reason", "message": ...}; 401/403).
 */

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = (req: Recorded, index: number) => { status: number; body: unknown };

const accept: Answer = (req) => ({ status: 202, body: { accepted: req.body.split('\n').filter((l) => l.trim()).length } });

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

const dir = mkdtempSync(join(tmpdir(), 'hangar-publish-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startRecorder(answer: Answer = accept): Promise<{ url: string; requests: Recorded[]; nextRequest(): Promise<Recorded> }> {
  const requests: Recorded[] = [];
  const waiters: ((r: Recorded) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      const { status, body } = answer(recorded, requests.length - 1);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      waiters.shift()?.(recorded);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    nextRequest: () => new Promise((resolve) => waiters.push(resolve)),
  };
}

function writeInput(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const event = (type: string, extra: Record<string, unknown> = {}) => JSON.stringify({ event_type: type, mcp_server_id: 'math', ...extra });

async function publish(file: string | undefined, flags: PublishFlags, io = createTestIO()) {
  const options = parsePublishOptions(file, flags, io.env);
  const error = await runPublish(options, io).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  return { io, error, stderr: io.stderr.text() };
}

describe('publish (file) against an ingest endpoint', () => {
  it('posts NDJSON in batches with the key, skipping blank lines and tolerating CRLF', async () => {
    const server = await startRecorder();
    const lines = [event('A'), '', event('B'), event('C') + '\r', '   ', event('D'), event('E')];
    const path = writeInput('good.ndjson', lines.join('\n') + '\n');
    const { error, stderr, io } = await publish(path, { url: server.url, apiKey: 'sekrit', batchSize: '2' });
    expect(error).toBeUndefined();
    expect(stderr).toBe(`hangar-events: published 5 events to ${server.url}/api/events\n`);
    expect(io.stdout.text()).toBe('');
    expect(server.requests.map((r) => r.body.trim().split('\n').map((l) => JSON.parse(l).event_type))).toEqual([['A', 'B'], ['C', 'D'], ['E']]);
    for (const r of server.requests) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/api/events');
      expect(r.headers['content-type']).toBe('application/x-ndjson');
      expect(r.headers['x-api-key']).toBe('sekrit');
      expect(r.headers.authorization).toBeUndefined();
    }
  });

  it('posts a JSON array file, and sends the key as a bearer token with --bearer', async () => {
    const server = await startRecorder();
    const path = writeInput('array.json', JSON.stringify([{ event_type: 'A' }, { event_type: 'B', x: [1, 2] }], null, 2));
    const { error, stderr } = await publish(path, { url: server.url, apiKey: 'tok', bearer: true });
    expect(error).toBeUndefined();
    expect(stderr).toBe(`hangar-events: published 2 events to ${server.url}/api/events\n`);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.body).toBe('{"event_type":"A"}\n{"event_type":"B","x":[1,2]}\n');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer tok');
    expect(server.requests[0]!.headers['x-api-key']).toBeUndefined();
  });

  it('checks a file whole first: bad lines are listed by number and nothing is sent', async () => {
    const server = await startRecorder();
    const path = writeInput('bad.ndjson', [event('A'), '', 'oops', event('B'), '{"no": "type"}', '{'].join('\n'));
    const { error } = await publish(path, { url: server.url });
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error!.message).toBe(
      `${path} has 3 bad lines; nothing was published (every line must be a JSON object with a string "event_type"):\n` +
        `  ${path} line 3: ${error!.message.match(/line 3: (not valid JSON \([^\n]*\))/)![1]}\n` +
        `  ${path} line 5: an event needs a non-empty string "event_type"\n` +
        `  ${path} line 6: ${error!.message.match(/line 6: (not valid JSON \([^\n]*\)) \(one/)![1]} (one pretty-printed JSON object? compact it first: jq -c .)`,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('maps a line the server refuses back to the file line, and says what was published before it', async () => {
    // Refuse the second line of the second batch, as serve does (all or nothing per request).
    const server = await startRecorder((req, index) =>
      index === 1
        ? { status: 400, body: { error: 'bad_event', line: 2, unit: 'line', reason: 'the event is too large', message: 'nothing was published: line 2: the event is too large' } }
        : accept(req, index),
    );
    const path = writeInput('refused.ndjson', ['', event('A'), event('B'), '', event('C'), event('D'), event('E')].join('\n'));
    const { error, stderr } = await publish(path, { url: server.url, batchSize: '2' });
    expect(error).toBeInstanceOf(RuntimeError);
    // Batch 1 = lines 2, 3; batch 2 = lines 5, 6: its line 2 is the file's line 6.
    expect(error!.message).toBe(`${path} line 6: refused by the server: the event is too large; 2 events up to line 3 were published; nothing from line 5 on was`);
    expect(stderr).toBe('');
    expect(server.requests).toHaveLength(2);
  });

  it("shows a refusal without a reason field as the server wrote it, instead of guessing at its English", async () => {
    const server = await startRecorder(() => ({ status: 400, body: { error: 'bad_event', line: 1, message: 'line 1: events from this client are not accepted' } }));
    const path = writeInput('other-server.ndjson', event('A'));
    const { error } = await publish(path, { url: server.url });
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error!.message).toBe(`${path} line 1: refused by the server: line 1: events from this client are not accepted; nothing was published`);
  });

  it('fails when the server published only part of a batch, instead of "published 2 of 3" and exit 0 (issue 22 #3)', async () => {
    // An older serve answered 202 {"accepted": 2} for three lines when it could not serialize one of them.
    const server = await startRecorder((req, index) => (index === 1 ? { status: 202, body: { accepted: 1 } } : accept(req, index)));
    const path = writeInput('partial.ndjson', [event('A'), event('B'), event('C'), event('D'), event('E')].join('\n'));
    const { error, stderr } = await publish(path, { url: server.url, batchSize: '2' });
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error!.message).toBe(
      `${server.url}/api/events published only 1 of the 2 events in ${path} lines 3-4 (HTTP 202): the others were not published, and publish cannot tell which; 2 events up to line 2 were published before them; nothing after line 4 was sent`,
    );
    expect(stderr).toBe('');
    expect(server.requests).toHaveLength(2);
  });

  it('treats 401 and 403 as authentication failures without printing the key', async () => {
    const s401 = await startRecorder(() => ({ status: 401, body: { error: 'unauthorized', message: 'an API key is required' } }));
    const missing = await publish(writeInput('a.ndjson', event('A')), { url: s401.url });
    expect(missing.error).toBeInstanceOf(AuthError);
    expect(missing.error!.message).toBe(`${s401.url}/api/events requires an API key (HTTP 401); pass --api-key, --api-key-file or set HANGAR_API_KEY; nothing was published`);

    const s403 = await startRecorder(() => ({ status: 403, body: { error: 'forbidden', message: 'the API key is not valid' } }));
    const wrong = await publish(writeInput('b.ndjson', event('A')), { url: s403.url, apiKey: 'wrong-key-123' });
    expect(wrong.error).toBeInstanceOf(AuthError);
    expect(wrong.error!.message).toContain('refused the API key from --api-key (HTTP 403)');
    expect(wrong.error!.message).not.toContain('wrong-key-123');
  });

  it('says clearly when nothing listens, or when the URL is not a serve', async () => {
    const gone = await startRecorder();
    const url = gone.url;
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const refused = await publish(writeInput('c.ndjson', event('A')), { url });
    expect(refused.error).toBeInstanceOf(ConnectionError);
    expect(refused.error!.message).toBe(`cannot publish to ${url}/api/events: connection refused (is 'hangar-events serve' running?); start it, or point --url (or HANGAR_URL) at it; nothing was published`);

    const notServe = await startRecorder(() => ({ status: 404, body: { error: 'not_found' } }));
    const wrongPlace = await publish(writeInput('d.ndjson', event('A')), { url: notServe.url });
    expect(wrongPlace.error).toBeInstanceOf(RuntimeError);
    expect(wrongPlace.error!.message).toContain('has no event ingest (HTTP 404)');
  });

  it('reports a missing file as a runtime error, and an empty one as nothing to publish', async () => {
    const server = await startRecorder();
    const missing = await publish(join(dir, 'nope.ndjson'), { url: server.url });
    expect(missing.error).toBeInstanceOf(RuntimeError);
    expect(missing.error!.message).toBe(`cannot read ${join(dir, 'nope.ndjson')} (no such file); give publish an NDJSON file, or pipe events on stdin`);
    const empty = writeInput('empty.ndjson', '\n\n');
    const result = await publish(empty, { url: server.url });
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe(`hangar-events: nothing to publish: ${empty} has no events\n`);
    expect(server.requests).toHaveLength(0);
  });
});

describe('publish (stdin)', () => {
  requireProgram('mkfifo').it('streams from a named pipe, which can be read only once, like stdin', async () => {
    const server = await startRecorder();
    const fifo = join(dir, 'events.fifo');
    execFileSync('mkfifo', [fifo]);
    const done = publish(fifo, { url: server.url });
    createWriteStream(fifo).end(`${event('A')}\n${event('B')}\n`);
    const { error, stderr } = await done;
    expect(error).toBeUndefined();
    expect(stderr).toBe(`hangar-events: published 2 events to ${server.url}/api/events\n`);
    expect(server.requests.map((r) => r.body)).toEqual([`${event('A')}\n${event('B')}\n`]);
  });

  it('forwards a live stream: a partial batch goes out when the input pauses', async () => {
    const server = await startRecorder();
    const io = createTestIO();
    const options = parsePublishOptions(undefined, { url: server.url }, io.env);
    const done = runPublish(options, io);
    const first = server.nextRequest();
    io.stdin.write(`${event('A')}\n${event('B')}\n`);
    // The pause is timed on the injected clock: nothing goes out until it is over.
    await eventually(() => io.clock.nextDueIn() === STDIN_LINGER_MS, 'the linger timer after the partial batch');
    io.advance(STDIN_LINGER_MS - 1);
    expect(server.requests).toEqual([]);
    io.advance(1);
    expect((await first).body).toBe(`${event('A')}\n${event('B')}\n`);
    const second = server.nextRequest();
    io.stdin.end(`${event('C')}\n`);
    expect((await second).body).toBe(`${event('C')}\n`);
    await done;
    expect(io.stderr.text()).toBe(`hangar-events: published 3 events to ${server.url}/api/events\n`);
  });

  it('stops at a bad line: what came before it is published, and the message says so', async () => {
    const server = await startRecorder();
    const io = createTestIO();
    io.stdin.end([event('A'), event('B'), '', '[1]', event('C')].join('\n'));
    const { error } = await publish(undefined, { url: server.url }, io);
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error!.message).toBe('stdin line 4: an event must be a JSON object; 2 events up to line 2 were published; nothing from line 4 on was');
    expect(server.requests.map((r) => r.body)).toEqual([`${event('A')}\n${event('B')}\n`]);
  });

  it('refuses to read events from a terminal', async () => {
    const io = createTestIO({ stdinTTY: true });
    const { error } = await publish(undefined, { url: 'http://127.0.0.1:1' }, io);
    expect(error?.name).toBe('UsageError');
  });
});
