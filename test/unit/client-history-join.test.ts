import { describe, expect, it } from 'vitest';
import type { EventMessage, StreamMessage } from '../../src/feed/messages.js';
import type { ReplayRequest, SubscribeMessage } from '../../src/protocol/types.js';
import type { Subscription } from '../../src/client/stream-options.js';
import { closeReasonText, describeAuthFailure, describeClose, isPermanentStatus } from '../../src/client/close-reasons.js';
import { decodeFrame } from '../../src/client/frame-decoder.js';
import { HistoryJoin, joinHeldEvents } from '../../src/client/history-join.js';
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

/**
 * The HistoryJoin state machine, driven as StreamClient drives it (open, frames, close) with a
 * stepped clock: what a user of `tail` would see, message by message, for every case the socket
 * tests cover (gateway, serve, restart, replay overlap, outage).
 */
describe('HistoryJoin (serve vs gateway, the history/live join, resume and gaps)', () => {
  const instanceA = 'run-a';
  const instanceB = 'run-b';
  const DETECT_MS = 10_000;

  function harness(options: { initialReplay?: ReplayRequest; subscription?: Subscription; maxHeld?: number } = {}) {
    const clock = new FakeClock({ monotonicMs: 50_000, nowMs: Date.UTC(2026, 10, 26, 12, 0, 0) });
    const seen: StreamMessage[] = [];
    const join = new HistoryJoin({
      subscription: options.subscription ?? {},
      initialReplay: options.initialReplay,
      serverDetectMs: DETECT_MS,
      clock,
      emit: (message) => seen.push(message),
      ...(options.maxHeld !== undefined ? { maxHeld: options.maxHeld } : {}),
    });
    let attempt = 0;
    const sent: SubscribeMessage[][] = [];
    return {
      clock,
      join,
      sent,
      open: (paused = false) => {
        const subscribes = join.open(++attempt, paused);
        sent.push(subscribes);
        return subscribes;
      },
      ack: (instance?: string) => join.ack({ type: 'subscribed', event_types: [], mcp_server_ids: [], ...(instance !== undefined ? { instance_id: instance } : {}) }),
      events: (...list: (string | undefined)[]) => list.forEach((id) => join.event(ev(id))),
      replayed: (count: number, complete = true) => join.replayed({ type: 'replayed', count, complete }),
      /** The connection closes; the stream last showed life `quietMs` ago. */
      close: (quietMs = 0) => join.close(() => clock.monotonicMs() - quietMs),
      /** What the user saw since the last call: events by id, notices by kind (and the gap's duration and cause). */
      take: () => {
        const out = seen.splice(0).map((m) => {
          if (m.kind === 'event') return m.id ?? '-';
          if (m.kind === 'gap') return `gap ${m.downForMs}ms: ${m.reason.split(/[,(:]/)[0]!.trim()}`;
          if (m.kind === 'server-kind') return `server-kind ${m.server}`;
          if (m.kind === 'replayed') return `replayed ${m.count}${m.complete ? '' : ' incomplete'}${m.resumed ? ' resumed' : ''}${m.requested ? ' requested' : ''}`;
          if (m.kind === 'open') return `open ${m.attempt} ${m.server}`;
          return m.kind;
        });
        return out;
      },
    };
  }

  describe('a gateway (acks the first subscribe only, without instance_id; no replay; nothing before the ack)', () => {
    it('subscribes at once with a harmless replay request and a probe; the bare ack makes it a gateway and events show as they come', () => {
      const h = harness();
      expect(h.open()).toEqual([{ type: 'subscribe', replay: { last: 0 } }, { type: 'subscribe' }]);
      h.ack();
      h.events('g1', undefined, 'g2');
      expect(h.take()).toEqual(['open 1 unknown', 'server-kind gateway', 'subscribed', 'g1', '-', 'g2']);
      expect(h.join.server).toBe('gateway');
      // The gateway never acks the probe and never sends `replayed`: nothing waits for them.
      h.clock.advance(DETECT_MS * 3);
      expect(h.take()).toEqual([]);
    });

    it('history asked of a gateway: the user is told it keeps none', () => {
      const h = harness({ initialReplay: { last: 20 }, subscription: { replayFilter: { types: ['Health*'] } } });
      const [request] = h.open();
      expect(request).toMatchObject({ replay: { last: 20 }, replay_filter: { types: ['Health*'] } });
      h.ack();
      expect(h.take()).toEqual(['open 1 unknown', 'server-kind gateway', 'no-history', 'subscribed']);
    });

    it('a server that never acks is taken for a gateway after the detection time; what it sent meanwhile shows, in order', () => {
      const h = harness();
      h.open();
      h.events('x1', 'x2');
      h.clock.advance(DETECT_MS - 1);
      expect(h.take()).toEqual(['open 1 unknown']);
      h.clock.advance(1);
      expect(h.take()).toEqual(['server-kind gateway', 'x1', 'x2']);
    });

    it('the detection time does not run while the reader is paused, and starts over on resume', () => {
      const h = harness();
      h.open(true);
      h.clock.advance(DETECT_MS * 2);
      expect(h.join.server).toBe('unknown');
      h.join.resume();
      h.clock.advance(DETECT_MS / 2);
      h.join.pause();
      h.clock.advance(DETECT_MS);
      h.join.resume();
      h.clock.advance(DETECT_MS - 1);
      expect(h.join.server).toBe('unknown');
      h.clock.advance(1);
      expect(h.join.server).toBe('gateway');
    });

    it('an outage: on reconnect the gap is reported at once, as long as the stream was down, and the filters are re-sent without history narrowing', () => {
      const h = harness({ subscription: { eventTypes: ['HealthCheckFailed'], replayServerIds: ['math'] } });
      h.open();
      h.ack();
      h.events('g1');
      h.take();
      h.clock.advance(400);
      h.close(400); // the last sign of life was the event 400 ms ago
      h.clock.advance(3000);
      const [request, probe] = h.open();
      // A known gateway is sent no mcp_server_ids (it would narrow on mcp_server_id only) and asked for nothing it cannot give.
      expect(request).toEqual({ type: 'subscribe', event_types: ['HealthCheckFailed'], replay: { after: 'g1' } });
      expect(probe).toEqual({ type: 'subscribe', event_types: ['HealthCheckFailed'] });
      expect(h.take()).toEqual(['open 2 gateway', 'gap 3400ms: the server keeps no history']);
      h.ack();
      h.events('g2');
      expect(h.take()).toEqual(['subscribed', 'g2']);
    });

    it('each outage is measured on its own, and reconnects that failed in between are part of it', () => {
      const h = harness();
      h.open();
      h.ack();
      h.take();
      h.close();
      h.clock.advance(3000);
      h.open();
      expect(h.take()).toEqual(['open 2 gateway', 'gap 3000ms: the server keeps no history']);
      h.clock.advance(60_000);
      h.close();
      h.clock.advance(1000); // a connection attempt that never opened: the join never hears of it
      h.clock.advance(1000);
      h.open();
      expect(h.take()).toEqual(['open 3 gateway', 'gap 2000ms: the server keeps no history']);
    });
  });

  describe('serve (acks every subscribe with its instance_id, replays, delivers live events from the open)', () => {
    it('history first, then live: the replayed marker ends the history and events after it show at once', () => {
      const h = harness({ initialReplay: { last: 3 }, subscription: { replayServerIds: ['math'], replayFilter: { servers: ['math'] } } });
      const [request, probe] = h.open();
      expect(request).toEqual({ type: 'subscribe', mcp_server_ids: ['math'], replay_filter: { servers: ['math'] }, replay: { last: 3 } });
      expect(probe).toEqual({ type: 'subscribe' });
      h.ack(instanceA);
      h.events('h1', 'h2', 'h3');
      h.replayed(3);
      h.ack(instanceA); // the probe's ack
      h.events('l1');
      expect(h.take()).toEqual(['open 1 unknown', 'server-kind serve', 'subscribed', 'h1', 'h2', 'h3', 'replayed 3 requested', 'subscribed', 'l1']);
      expect(h.join.server).toBe('serve');
    });

    it("first-message hold: live events that overtake the first ack wait for the replay, and the ones it repeated show once, in order", () => {
      const h = harness({ initialReplay: { last: 5 } });
      h.open();
      // serve's hold ran out before it read the subscribe: live events 4 and 5 came first...
      h.events('e4', 'e5');
      expect(h.take()).toEqual(['open 1 unknown']);
      h.ack(instanceA);
      // ...and the replay of the last 5 repeats them.
      h.events('e1', 'e2', 'e3', 'e4', 'e5');
      h.replayed(5);
      h.events('e6');
      expect(h.take()).toEqual(['server-kind serve', 'subscribed', 'e1', 'e2', 'e3', 'e4', 'e5', 'replayed 5 requested', 'e6']);
    });

    it('held events newer than the replay, or outside its filter, follow it; a held event without id is kept', () => {
      const h = harness({ initialReplay: { since: 1 } });
      h.open();
      h.events('e3', undefined, 'e4');
      h.ack(instanceA);
      h.events('e1', 'e2'); // the replay reached only to e2 (e3 and later were published after serve read it)
      h.replayed(2);
      expect(h.take().filter((m) => !m.startsWith('open') && !m.startsWith('server'))).toEqual(['subscribed', 'e1', 'e2', 'replayed 2 requested', 'e3', '-', 'e4']);
    });

    it('a full hold lets the rest through at once, and the replay does not repeat them', () => {
      const h = harness({ initialReplay: { last: 4 }, maxHeld: 2 });
      h.open();
      h.events('e3', 'e4', 'e5');
      expect(h.take()).toEqual(['open 1 unknown', 'e5']);
      h.ack(instanceA);
      h.events('e2', 'e3', 'e4', 'e5');
      h.replayed(4);
      expect(h.take()).toEqual(['server-kind serve', 'subscribed', 'e2', 'e3', 'e4', 'replayed 4 requested']);
    });

    it('a server that acks twice without a replayed marker does not keep held events forever', () => {
      const h = harness();
      h.open();
      h.events('e1');
      h.ack(instanceA);
      h.ack(instanceA);
      expect(h.take()).toEqual(['open 1 unknown', 'server-kind serve', 'subscribed', 'e1', 'subscribed']);
    });

    it('a second replayed marker on one connection is ignored', () => {
      const h = harness();
      h.open();
      h.ack(instanceA);
      h.replayed(0);
      h.replayed(7, false);
      expect(h.take()).toEqual(['open 1 unknown', 'server-kind serve', 'subscribed', 'replayed 0']);
    });

    it('held events of a connection that closed before its replay are not shown: the resume asks for them after the last event shown', () => {
      const h = harness();
      h.open();
      h.ack(instanceA);
      h.replayed(0);
      h.events('e1');
      h.close();
      h.open();
      h.events('e2', 'e3'); // held: the ack has not come
      h.close();
      const [request] = h.open();
      expect(request).toEqual({ type: 'subscribe', replay: { after: 'e1', instance_id: instanceA } });
      h.ack(instanceA);
      h.events('e2', 'e3');
      h.replayed(2);
      expect(h.take()).toEqual(['open 1 unknown', 'server-kind serve', 'subscribed', 'replayed 0', 'e1', 'open 2 serve', 'open 3 serve', 'subscribed', 'e2', 'e3', 'replayed 2 resumed']);
    });
  });

  describe('resume and outages on serve', () => {
    it('a reconnect resumes after the last event shown: the replay fills the outage, each event once, no gap', () => {
      const h = harness();
      h.open();
      h.ack(instanceA);
      h.replayed(0);
      h.events('e1', 'e2');
      h.take();
      h.close();
      h.clock.advance(2000);
      const [request] = h.open();
      expect(request).toEqual({ type: 'subscribe', replay: { after: 'e2', instance_id: instanceA } });
      h.events('e4'); // live, before the ack: held
      h.ack(instanceA);
      h.events('e3', 'e4');
      h.replayed(2);
      h.events('e5');
      expect(h.take()).toEqual(['open 2 serve', 'subscribed', 'e3', 'e4', 'replayed 2 resumed', 'e5']);
    });

    it('with no event id seen yet, a reconnect asks for what was published since the previous connection opened', () => {
      const h = harness();
      const openedAt = h.clock.now();
      h.open();
      h.ack(instanceA);
      h.replayed(0);
      h.events(undefined);
      h.close();
      h.clock.advance(5000);
      expect(h.open()[0]).toEqual({ type: 'subscribe', replay: { since: openedAt / 1000 } });
    });

    it("a replay that no longer reaches back reports a gap as long as the outage, with the reason", () => {
      const h = harness();
      h.open();
      h.ack(instanceA);
      h.replayed(0);
      h.events('e1');
      h.take();
      h.clock.advance(100);
      h.close(100);
      h.clock.advance(7000);
      h.open();
      h.ack(instanceA);
      h.events('e900');
      h.replayed(1, false);
      expect(h.take()).toEqual(['open 2 serve', 'subscribed', 'e900', 'replayed 1 incomplete resumed', "gap 7100ms: the server's history no longer reaches back to the last event seen"]);
    });

    it('an outage lasts across connections that settled nothing (closed before their ack)', () => {
      const h = harness();
      h.open();
      h.ack(instanceA);
      h.replayed(0);
      h.events('e1');
      h.close();
      h.clock.advance(2000);
      h.open();
      h.close(); // opened, but lost before the ack: the same outage goes on
      h.clock.advance(3000);
      h.open();
      h.ack(instanceA);
      h.replayed(0, false);
      expect(h.take().at(-1)).toBe("gap 5000ms: the server's history no longer reaches back to the last event seen");
    });

    it('serve restarted (a new instance_id): the gap is reported at the ack, and the new run\'s events show even where its ids repeat the old run\'s', () => {
      const h = harness();
      h.open();
      h.ack(instanceA);
      h.replayed(0);
      h.events('e1', 'e2');
      h.take();
      h.close();
      h.clock.advance(4000);
      expect(h.open()[0]).toEqual({ type: 'subscribe', replay: { after: 'e2', instance_id: instanceA } });
      h.ack(instanceB);
      // The new run (same seed) numbers its events from the start again: they are new events.
      h.events('e1');
      h.replayed(1, false);
      h.events('e2', 'e3');
      expect(h.take()).toEqual([
        'open 2 serve',
        'gap 4000ms: the server restarted',
        'subscribed',
        'e1',
        'replayed 1 incomplete resumed',
        'e2',
        'e3',
      ]);
      // The next resume names the new run.
      h.close();
      expect(h.open()[0]).toEqual({ type: 'subscribe', replay: { after: 'e3', instance_id: instanceB } });
    });

    it('a server that turned from serve into a gateway behind the same address: told once, and the gap is the gateway\'s', () => {
      const h = harness();
      h.open();
      h.ack(instanceA);
      h.replayed(0);
      h.events('e1');
      h.close();
      h.clock.advance(1500);
      h.take();
      h.open();
      h.ack();
      expect(h.take()).toEqual(['open 2 serve', 'server-kind gateway', 'gap 1500ms: the server keeps no history', 'subscribed']);
    });
  });
});
