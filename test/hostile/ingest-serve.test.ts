import { afterEach, describe, expect, test } from 'vitest';
import { createRng, hostileCorpus, hostileNdjsonLine, hostileSeed, prototypePolluted, seedNote } from '../helpers/hostile-fuzz.js';
import { closeHostile, health, httpRequest, recordFigures, scaled, startHostileServer, subscribedClient } from '../helpers/hostile-net.js';
import { killAll, startCli } from '../helpers/spawn.js';

/**
 * Promise: hostile NDJSON at serve's ingest points never crashes it.
 * - POST /api/events: a batch with any bad line is refused whole with 400
 *   naming the first bad line, and nothing from it is published; good batches
 *   are published in order; a 10 MB body gets 413; prototype keys pollute
 *   nothing (in process).
 * - serve --stdin (the real binary): good lines flow on to subscribers in
 *   order, each bad line is reported with its number on stderr.
 */

const SEED = hostileSeed();
const NOTE = seedNote(SEED);
afterEach(async () => {
  await killAll();
  await closeHostile();
});

describe('hostile ingest at serve', () => {
  test(`POST /api/events: hundreds of hostile batches, all or nothing, line numbers named ${NOTE}`, async () => {
    const rng = createRng(SEED);
    const server = await startHostileServer();
    const watcher = await subscribedClient(server.url, {});
    const batches = scaled(300, 5_000);
    const expected: number[] = [];
    let refused = 0;
    let n = 0;
    for (let b = 0; b < batches; b++) {
      const lines = Array.from({ length: rng.int(1, 8) }, () => hostileNdjsonLine(rng, n++));
      const body = Buffer.concat(lines.flatMap((l) => [typeof l.text === 'string' ? Buffer.from(l.text) : l.text, Buffer.from('\n')]));
      const res = await httpRequest(server.port, '/api/events', { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body });
      const firstBad = lines.findIndex((l) => !l.good);
      if (lines.length === 1 && String(lines[0]!.text).trim() === '[]') {
        // A body that is one JSON array is a batch: the empty one publishes nothing.
        expect(res.status, `[] ${NOTE}`).toBe(202);
        expect(JSON.parse(res.body)).toMatchObject({ accepted: 0 });
      } else if (firstBad < 0) {
        expect(res.status, `good batch ${b}: ${res.body} ${NOTE}`).toBe(202);
        expect(JSON.parse(res.body)).toMatchObject({ accepted: lines.length });
        for (const l of lines) expected.push(Number(/"seq": ?(\d+)/.exec(String(l.text))![1]));
      } else {
        refused++;
        expect(res.status, `bad batch ${b} ${NOTE}`).toBe(400);
        const answer = JSON.parse(res.body) as { line: number; message: string };
        expect(answer.line, `names the first bad line: ${res.body} ${NOTE}`).toBe(firstBad + 1);
        expect(answer.message).toMatch(/nothing was published/);
      }
    }
    const big = await httpRequest(server.port, '/api/events', { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body: Buffer.alloc(10 * 1024 * 1024, 0x61) });
    expect(big.status).toBe(413);
    server.hub.publish({ event_type: 'Marker', seq: -1 });
    await watcher.waitUntil(() => watcher.events.some((e) => e.event_type === 'Marker'), 'the marker', 60_000);
    expect(watcher.events.filter((e) => e.event_type !== 'Marker').map((e) => e.seq), NOTE).toEqual(expected);
    expect((await health(server.port)).status).toBe('ok');
    expect(prototypePolluted(), NOTE).toBeUndefined();
    recordFigures('ingest: POST hostile batches', { batches, refused_whole: refused, events_published: expected.length, events_lost: 0, body_10mb_status: big.status });
  }, scaled(120_000, 600_000));

  test(`serve --stdin: good lines flow on in order, each bad line reported with its number ${NOTE}`, async () => {
    const rng = createRng(SEED ^ 0xd00d);
    const corpus = hostileCorpus(rng, scaled(2_000, 50_000), 10 * 1024 * 1024);
    const serve = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--no-demo', '--stdin']);
    const match = await serve.waitFor('stderr', /listening on (ws:\/\/127\.0\.0\.1:\d+\/api\/ws\/events)/, 20_000);
    const client = await subscribedClient(match[1]!, {});
    serve.child.stdin!.on('error', () => {});
    serve.child.stdin!.end(corpus.bytes);
    await serve.waitFor('stderr', /stdin ended/, 120_000);
    await client.waitUntil(() => client.events.length >= corpus.goodSeqs.length, `${corpus.goodSeqs.length} events ${NOTE}`, 60_000);
    expect(client.events.map((e) => e.seq), NOTE).toEqual(corpus.goodSeqs);
    const reported = [...serve.stderr().matchAll(/stdin line (\d+):/g)].map((m) => Number(m[1]));
    expect(reported, NOTE).toEqual(corpus.badLines);
    expect(serve.child.exitCode, 'still serving').toBeNull();
    expect(serve.stderr()).not.toMatch(/^ {4}at /m);
    recordFigures('ingest: serve --stdin', { lines: corpus.lines, good: corpus.goodSeqs.length, bad_reported: reported.length, events_lost: corpus.goodSeqs.length - client.events.length });
  }, scaled(120_000, 600_000));
});
