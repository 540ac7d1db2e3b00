import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { describeError, RuntimeError } from '../../src/errors.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import type { EventSink } from '../../src/server/event-sink.js';
import type { SourceLog } from '../../src/sources/event-source.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { checkReplayFile, createReplaySource, MAX_RECORDED_GAP_MS, recordedTimeMs, replayGapMs } from '../../src/sources/replay.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/recorded.ndjson', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hangar-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collector(stopAfter?: { count: number; stop: () => void }): { sink: EventSink; log: SourceLog; events: HangarEvent[]; warnings: string[] } {
  const events: HangarEvent[] = [];
  const warnings: string[] = [];
  return {
    events,
    warnings,
    sink: {
      publish(e) {
        events.push(e);
        if (stopAfter && events.length === stopAfter.count) stopAfter.stop();
      },
    },
    log: { info: () => {}, warn: (m) => warnings.push(m) },
  };
}

describe('recorded times and gaps', () => {
  it('reads occurred_at (Unix seconds) or an ISO timestamp, with no zone meaning UTC', () => {
    expect(recordedTimeMs({ event_type: 'X', occurred_at: 1795727378.5 })).toBe(1795727378500);
    expect(recordedTimeMs({ event_type: 'X', timestamp: '2026-03-23T10:15:30.123456' })).toBe(Date.UTC(2026, 2, 23, 10, 15, 30, 123));
    expect(recordedTimeMs({ event_type: 'X', timestamp: '2026-03-23 10:15:30' })).toBe(Date.UTC(2026, 2, 23, 10, 15, 30));
    expect(recordedTimeMs({ event_type: 'X', timestamp: '2026-03-23T10:15:30+02:00' })).toBe(Date.UTC(2026, 2, 23, 8, 15, 30));
    expect(recordedTimeMs({ event_type: 'X', occurred_at: 5, timestamp: '2026-03-23T10:15:30Z' })).toBe(5000);
    expect(recordedTimeMs({ event_type: 'X', timestamp: 'yesterday' })).toBeUndefined();
    expect(recordedTimeMs({ event_type: 'X' })).toBeUndefined();
  });

  it('divides the recorded gap by the speed, caps long holes, and never waits at max or out of order', () => {
    expect(replayGapMs(1000, 1500, 1)).toBe(500);
    expect(replayGapMs(1000, 1500, 10)).toBe(50);
    expect(replayGapMs(0, 3_600_000, 1)).toBe(MAX_RECORDED_GAP_MS);
    expect(replayGapMs(0, 3_600_000, 100)).toBe(MAX_RECORDED_GAP_MS / 100);
    expect(replayGapMs(1000, 1500, 'max')).toBe(0);
    expect(replayGapMs(1500, 1000, 1)).toBe(0);
    expect(replayGapMs(undefined, 1000, 1)).toBe(0);
    expect(replayGapMs(1000, undefined, 1)).toBe(0);
  });
});

describe('createReplaySource', () => {
  it('at max speed replays every good event in order, restamped, and reports bad lines by number', async () => {
    const source = createReplaySource(FIXTURE, { speed: 'max', loop: false, clock: new FakeClock() });
    const { sink, log, events, warnings } = collector();
    await source.run(sink, log);
    expect(events.map((e) => e.event_type)).toEqual(['McpServerStateChanged', 'McpServerStarted', 'ToolInvocationRequested', 'ToolInvocationCompleted', 'HealthCheckPassed']);
    for (const event of events) {
      expect(event).not.toHaveProperty('event_id');
      expect(event).not.toHaveProperty('occurred_at');
      expect(event).not.toHaveProperty('timestamp');
    }
    expect(events[1]).toEqual({ event_type: 'McpServerStarted', produced_by: 'hangar-7f3a', mcp_server_id: 'math', mode: 'subprocess', tools_count: 6, startup_duration_ms: 250 });
    expect(warnings.map((w) => w.replace(/\(.*\)/, '(...)'))).toEqual([`${FIXTURE} line 4: not valid JSON (...)`, `${FIXTURE} line 6: an event must be a JSON object`]);
    expect(source.published).toBe(5);
    expect(source.badLines).toBe(2);
    expect(source.name).toBe(`replay ${FIXTURE}`);
  });

  it('honours recorded gaps at a finite speed and keeps the order (an hour-long hole is capped), on the injected clock', async () => {
    const path = join(dir, 'gaps.ndjson');
    const base = 1795727378;
    const lines = [0, 0.5, 0.25 /* out of order */, 3600.5 /* an hour-long hole */, 3601].map((dt, i) => JSON.stringify({ event_type: `E${i}`, occurred_at: base + dt }));
    writeFileSync(path, lines.join('\n') + '\n');
    const clock = new FakeClock();
    const source = createReplaySource(path, { speed: 200, loop: false, clock });
    const { sink, log, events } = collector();
    const published: number[] = [];
    const timedSink: EventSink = {
      publish(e) {
        published.push(clock.monotonicMs());
        sink.publish(e);
      },
    };
    await clock.runUntil(source.run(timedSink, log));
    expect(events.map((e) => e.event_type)).toEqual(['E0', 'E1', 'E2', 'E3', 'E4']);
    // Recorded gaps divided by 200, from the first event: 500 ms, none (out of order: no waiting back),
    // 5000 ms (an hour capped at MAX_RECORDED_GAP_MS, from E2), 500 ms.
    expect(published.map((t) => t - published[0]!)).toEqual([0, 2.5, 2.5, 27.5, 30]);
    expect(clock.pending).toBe(0);
  });

  it('stop wakes a replay waiting out a recorded gap, and cancels its timer', async () => {
    const path = join(dir, 'long-gap.ndjson');
    writeFileSync(path, `${JSON.stringify({ event_type: 'A', occurred_at: 1 })}\n${JSON.stringify({ event_type: 'B', occurred_at: 5 })}\n`);
    const clock = new FakeClock();
    const source = createReplaySource(path, { speed: 1, loop: false, clock });
    const { sink, log, events } = collector();
    const done = source.run(sink, log);
    while (clock.pending === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(clock.nextDueIn()).toBe(4000);
    source.stop();
    await done;
    expect(events.map((e) => e.event_type)).toEqual(['A']);
    expect(clock.pending).toBe(0);
  });

  it('loops from the top with --loop, reporting bad lines only on the first pass, until stopped', async () => {
    let source: ReturnType<typeof createReplaySource> | undefined;
    const { sink, log, events, warnings } = collector({ count: 17, stop: () => source!.stop() });
    source = createReplaySource(FIXTURE, { speed: 'max', loop: true, clock: new FakeClock() });
    await source.run(sink, log);
    expect(events.length).toBe(17);
    const types = events.map((e) => e.event_type);
    expect(types.slice(5, 10)).toEqual(types.slice(0, 5));
    expect(types.slice(10, 15)).toEqual(types.slice(0, 5));
    expect(warnings).toHaveLength(2);
  });

  it('does not loop over a file without a valid event', async () => {
    const path = join(dir, 'junk.ndjson');
    writeFileSync(path, 'junk\n\n{"x": 1}\n');
    const source = createReplaySource(path, { speed: 'max', loop: true, clock: new FakeClock() });
    const { sink, log, events, warnings } = collector();
    await source.run(sink, log);
    expect(events).toEqual([]);
    expect(warnings).toEqual([`${path} line 1: not valid JSON (${warnings[0]!.match(/\((.*)\)/)![1]})`, `${path} line 3: an event needs a non-empty string "event_type"`, `${path} has no valid events; not looping`]);
  });

  it('fails with a clear RuntimeError for a missing file or a directory, at check time and at run time', async () => {
    const missing = join(dir, 'nope.ndjson');
    const checked = await checkReplayFile(missing).catch((e: unknown) => e);
    expect(checked).toBeInstanceOf(RuntimeError);
    expect(describeError(checked)).toMatch(new RegExp(`^cannot read replay file ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(no such file\\); replay an NDJSON recording instead`));
    expect((checked as Error).cause).toMatchObject({ code: 'ENOENT' });

    const ran = await createReplaySource(missing, { speed: 1, loop: false, clock: new FakeClock() }).run(collector().sink, collector().log).catch((e: unknown) => e);
    expect(ran).toBeInstanceOf(RuntimeError);

    const asDir = await checkReplayFile(dir).catch((e: unknown) => e);
    expect(asDir).toBeInstanceOf(RuntimeError);
    expect((asDir as Error).message).toContain('it is a directory, not a file');
    await expect(checkReplayFile(FIXTURE)).resolves.toBeUndefined();
  });

  it('refuses a speed that is not positive', () => {
    expect(() => createReplaySource(FIXTURE, { speed: 0, loop: false, clock: new FakeClock() })).toThrow(RangeError);
  });
});

describe('replay labels', () => {
  it('names the file as the user typed it in warnings and errors', async () => {
    const source = createReplaySource(FIXTURE, { speed: 'max', loop: false, label: 'recorded.ndjson', clock: new FakeClock() });
    const { sink, log, warnings } = collector();
    await source.run(sink, log);
    expect(source.name).toBe('replay recorded.ndjson');
    expect(warnings[0]).toMatch(/^recorded\.ndjson line 4: /);
    const error = await checkReplayFile(join(dir, 'missing.ndjson'), 'missing.ndjson').catch((e: unknown) => e as Error);
    expect(error?.message).toMatch(/^cannot read replay file missing\.ndjson \(no such file\)/);
  });
});
