import { describe, expect, it } from 'vitest';
import type { EventMessage } from '../../src/feed/messages.js';
import { closeReasonText, describeAuthFailure, describeClose, isPermanentStatus } from '../../src/client/close-reasons.js';
import { decodeFrame } from '../../src/client/frame-decoder.js';
import { joinHeldEvents } from '../../src/client/history-join.js';
import { FrameClock, StandStillDetector } from '../../src/client/liveness.js';
import { FakeClock } from '../helpers/fake-clock.js';

const ev = (id: string | undefined): EventMessage => ({ kind: 'event', event: { event_type: 'T', ...(id ? { event_id: id } : {}) }, raw: '{}', id });
const ids = (messages: readonly EventMessage[]) => messages.map((m) => m.id ?? '-');

describe('joinHeldEvents (the history/live join on serve)', () => {
  it('no replay ids (a replay that repeated nothing, or a gateway): every held event follows, in order', () => {
    expect(ids(joinHeldEvents([ev('a'), ev(undefined), ev('b')], undefined))).toEqual(['a', '-', 'b']);
  });

  it('replay overlap: held events the replay repeated are dropped, and every held event older than the newest repeated one', () => {
    // Held a, b, c, d arrived live before the ack; the replay delivered b and c (a was outside its window but older).
    expect(ids(joinHeldEvents([ev('a'), ev('b'), ev('c'), ev('d')], new Set(['b', 'c'])))).toEqual(['d']);
  });

  it('held events newer than the replay, or outside its filter after the overlap, follow it; an id is never shown twice', () => {
    expect(ids(joinHeldEvents([ev('x'), ev('r1'), ev('y'), ev('r2'), ev(undefined), ev('n')], new Set(['r1', 'r2'])))).toEqual(['-', 'n']);
    expect(ids(joinHeldEvents([ev('x'), ev('r1'), ev('z')], new Set(['r1', 'z'])))).toEqual([]);
    expect(ids(joinHeldEvents([ev('r1'), ev('n1'), ev('n2')], new Set(['r1', 'n2'])))).toEqual([]);
    expect(ids(joinHeldEvents([ev('n1'), ev('n2')], new Set(['old'])))).toEqual(['n1', 'n2']);
  });
});

describe('decodeFrame', () => {
  const limits = { maxFrameBytes: 64, passPlainEvents: false, scan: { idStart: -1, idEnd: -1 } };
  it('an event, a control message, and bad frames with a printable reason', () => {
    const event = decodeFrame(Buffer.from('{"event_type":"A","event_id":"e1"}'), false, limits);
    expect(event).toMatchObject({ kind: 'event', message: { id: 'e1', event: { event_type: 'A' } } });
    expect(decodeFrame(Buffer.from('{"type":"ping"}'), false, limits)).toMatchObject({ kind: 'control', message: { type: 'ping' } });
    expect(decodeFrame(Buffer.from('abc'), true, limits)).toEqual({ kind: 'bad', reason: 'binary frame of 3 bytes (expected JSON text)' });
    expect(decodeFrame(Buffer.alloc(65, 0x20), false, limits)).toEqual({ kind: 'bad', reason: 'frame of 65 bytes is larger than the 64-byte limit' });
    expect(decodeFrame(Buffer.from([0xff, 0xfe]), false, limits)).toEqual({ kind: 'bad', reason: 'text frame of 2 bytes is not valid UTF-8' });
    const hostile = decodeFrame(Buffer.from('{"type":"\x1b]52;c;x\x07"}'), false, limits);
    expect(hostile.kind).toBe('bad');
    expect((hostile as { reason: string }).reason).not.toMatch(/[\x1b\x07]/);
  });
  it('passes a plain event frame on as its bytes when asked', () => {
    const bytes = Buffer.from('{"event_type":"A","event_id":"e2"}');
    const decoded = decodeFrame(bytes, false, { ...limits, passPlainEvents: true });
    expect(decoded.kind).toBe('event');
    expect((decoded as { message: EventMessage }).message.bytes).toBe(bytes);
    expect((decoded as { message: EventMessage }).message.id).toBe('e2');
  });
});

describe('close reasons', () => {
  const base = { deadReason: undefined, handshakeStatus: undefined, opened: true, frames: 3, lastError: undefined };
  it('words a close, a drop, a refused upgrade and a socket error', () => {
    expect(describeClose(base, 1001, 'going away')).toBe('the server closed the connection (code 1001: going away)');
    expect(describeClose(base, 1006, '')).toBe('the connection dropped');
    expect(describeClose({ ...base, handshakeStatus: 502 }, 1006, '')).toBe('the server answered HTTP 502 instead of a WebSocket upgrade');
    expect(describeClose({ ...base, opened: false, lastError: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }, 1006, '')).toBe('connection refused (is the server running?)');
    expect(describeClose({ ...base, deadReason: 'no frame for 35s' }, 1006, '')).toBe('no frame for 35s');
  });
  it('an auth failure: 401/403 on the upgrade, or 1008 before any frame; advice depends on whether a credential was sent', () => {
    const hints = { checkKey: 'check -k', giveKey: 'pass -k', bearer: '--bearer' };
    expect(describeAuthFailure({ ...base, handshakeStatus: 401 }, 1006, '', { url: 'ws://h/', credentialsSent: false, hints })).toBe(
      'authentication failed: ws://h/ answered HTTP 401 Unauthorized; no credential was sent: pass -k (add --bearer for Authorization: Bearer)',
    );
    expect(describeAuthFailure({ ...base, frames: 0 }, 1008, 'bad key', { url: 'ws://h/', credentialsSent: true, hints })).toContain('code 1008 (policy violation) (bad key) during the handshake; the credential was refused: check -k');
    expect(describeAuthFailure(base, 1008, '', { url: 'ws://h/', credentialsSent: true, hints })).toBeUndefined();
  });
  it('permanent statuses and close reason text', () => {
    expect([400, 404, 408, 429, 500].map(isPermanentStatus)).toEqual([true, true, false, false, false]);
    expect(closeReasonText(Buffer.from('bye\x1b[2J now'))).not.toContain('\x1b');
  });
});

describe('StandStillDetector and FrameClock (driven by a stepped clock)', () => {
  it('an overdue tick marks a stand-still: the outage then starts when the process stopped, not at the backlog it read', () => {
    const clock = new FakeClock({ monotonicMs: 10_000 });
    const detector = new StandStillDetector(() => clock.monotonicMs(), 3000, clock);
    detector.start();
    try {
      clock.advance(5_500); // ticks ran every second: no stand-still
      expect(detector.lastSeenMs(clock.monotonicMs() - 100, 60_000)).toBe(15_400);
      // The process stands still for 20 s: the clock moves, no tick runs; the first frame read after is a backlog.
      const stoppedAt = 15_000;
      const wokeAt = clock.monotonicMs() + 20_000;
      detector.note(wokeAt);
      expect(detector.lastSeenMs(wokeAt, 60_000)).toBe(stoppedAt);
      clock.advance(120_000); // long after: the stand-still no longer explains an outage
      expect(detector.lastSeenMs(clock.monotonicMs() - 5, 60_000)).toBe(clock.monotonicMs() - 5);
    } finally {
      detector.stop();
    }
  });
  it('reads the clock once per run of frames', async () => {
    let reads = 0;
    const clock = new FrameClock(() => ++reads);
    expect([clock.now(), clock.now(), clock.now()]).toEqual([1, 1, 1]);
    await Promise.resolve();
    expect(clock.now()).toBe(2);
  });
});
