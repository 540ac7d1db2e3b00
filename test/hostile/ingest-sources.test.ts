import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { HangarEvent } from '../../src/protocol/types.js';
import type { EventSink } from '../../src/server/event-sink.js';
import type { SourceLog } from '../../src/sources/event-source.js';
import { createReplaySource } from '../../src/sources/replay.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createStreamSource } from '../../src/sources/stream-source.js';
import { createRng, hostileCorpus, hostileSeed, prototypePolluted, randomChunks, seedNote, terminalHazard, type HostileCorpus } from '../helpers/hostile-fuzz.js';

/**
 * Promise: hostile NDJSON on serve's sources (stdin, a replay file) never
 * crashes them: every good line flows on in order, every bad one is reported
 * with its line number (truncated JSON, binary garbage, a 10 MB line,
 * control characters, non-objects, wrong event_type), and prototype keys
 * pollute nothing. In process, so pollution of this very process is checked.
 */

const SEED = hostileSeed();
const NOTE = seedNote(SEED);
const dir = mkdtempSync(join(tmpdir(), 'hostile-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collector(): { sink: EventSink; log: SourceLog; events: HangarEvent[]; warnings: string[] } {
  const events: HangarEvent[] = [];
  const warnings: string[] = [];
  return { events, warnings, sink: { publish: (e) => void events.push(e) }, log: { info: () => {}, warn: (m) => void warnings.push(m) } };
}

function checkOutcome(corpus: HostileCorpus, events: HangarEvent[], warnings: string[], prefix: string): void {
  expect(prototypePolluted(), NOTE).toBeUndefined();
  expect(events.map((e) => e.seq), `good lines flow on, in order ${NOTE}`).toEqual(corpus.goodSeqs);
  const reported = warnings.map((w) => {
    const match = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line (\\d+): `).exec(w);
    return match ? Number(match[1]) : -1;
  });
  expect(reported, `each bad line reported once with its number ${NOTE}\n${warnings.slice(0, 5).join('\n')}`).toEqual(corpus.badLines);
  for (const w of warnings) {
    expect(terminalHazard(w, false), `warnings are safe to print ${NOTE}`).toBeUndefined();
    expect(w.length, `warnings stay short ${NOTE}`).toBeLessThan(400);
  }
  // Prototype keys arrive as plain data, never as a prototype.
  for (const event of events) expect(Object.getPrototypeOf(event), NOTE).toBe(Object.prototype);
}

describe('hostile NDJSON on serve sources', () => {
  test(`stdin: 3000 hostile lines and a 10 MB line in random chunks ${NOTE}`, async () => {
    const rng = createRng(SEED);
    const corpus = hostileCorpus(rng, 3000, 10 * 1024 * 1024);
    const { sink, log, events, warnings } = collector();
    const source = createStreamSource('stdin', randomChunks(rng, corpus.bytes));
    await source.run(sink, log);
    checkOutcome(corpus, events, warnings, 'stdin');
    expect(source.published).toBe(corpus.goodSeqs.length);
    expect(source.badLines).toBe(corpus.badLines.length);
  });

  test(`replay file: 3000 hostile lines and a 10 MB line ${NOTE}`, async () => {
    const rng = createRng(SEED ^ 0xabcdef);
    const corpus = hostileCorpus(rng, 3000, 10 * 1024 * 1024);
    const file = join(dir, 'hostile.ndjson');
    writeFileSync(file, corpus.bytes);
    const { sink, log, events, warnings } = collector();
    const source = createReplaySource(file, { speed: 'max', loop: false, clock: new FakeClock() });
    await source.run(sink, log);
    checkOutcome(corpus, events, warnings, file);
  });

  test(`a file that is one endless line without a newline is reported, not held in memory ${NOTE}`, async () => {
    const { sink, log, events, warnings } = collector();
    async function* endless(): AsyncGenerator<Buffer> {
      const chunk = Buffer.alloc(1024 * 1024, 0x7b); // '{' forever: 64 MiB in total
      for (let i = 0; i < 64; i++) yield chunk;
      yield Buffer.from('\n{"event_type":"After","seq":1}\n');
    }
    const before = process.memoryUsage().rss;
    const source = createStreamSource('stdin', endless());
    await source.run(sink, log);
    expect(events.map((e) => e.seq)).toEqual([1]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^stdin line 1: line is 64MiB, over the 1MiB limit/);
    // Bounded: the 64 MiB line was never held whole (generous bound; the chunks themselves are 1 MiB).
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024);
  });
});
