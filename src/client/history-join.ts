import type { Clock, Timer } from '../io/clock.js';
import type { EventMessage, ServerKind, StreamMessage } from '../feed/messages.js';
import type { ReplayedMessage, ReplayRequest, SubscribedMessage, SubscribeMessage } from '../protocol/types.js';
import { LastEventId } from './last-event-id.js';
import type { Subscription } from './stream-options.js';

/**
 * The history join: what one StreamClient makes of the stream, connection
 * after connection, with no socket in sight. It tells serve from a gateway
 * (the first ack names serve's run; a gateway acks once, without one; a
 * server that never acks is taken for a gateway after `serverDetectMs`),
 * holds the events that overtake the first ack until the replay they raced
 * has been joined (joinHeldEvents), asks a reconnect for the history after
 * the last event shown, and reports an outage as a gap: filled by serve's
 * replay (none), cut short (its history no longer reaches back), on a new run
 * (a restart), or unfillable (a gateway keeps no history).
 *
 * Inputs: open, event, ack, replayed, close, pause/resume, and the detection
 * timer (set on the injected clock). Output: the StreamMessages a user sees,
 * in order, through `emit`; open() returns the subscribes to send.
 */

/** Bound on events held back before the first ack (see JoinConnection.held). */
export const MAX_HELD_EVENTS = 10_000;

export interface HistoryJoinOptions {
  readonly subscription: Subscription;
  /** History asked for on the first connection (honoured by serve only). */
  readonly initialReplay?: ReplayRequest | undefined;
  /** How long to wait for serve's answers before concluding the server is a gateway. */
  readonly serverDetectMs: number;
  /** The wall clock (`replay.since`), the monotonic clock (how long the stream was down) and the detection timer. */
  readonly clock: Pick<Clock, 'now' | 'monotonicMs' | 'setTimeout'>;
  /** Where what the join has to say goes, in order (events to show, server-kind, subscribed, replayed, no-history, gap). */
  readonly emit: (message: StreamMessage) => void;
  /** Events held before the first ack at most (default MAX_HELD_EVENTS). */
  readonly maxHeld?: number;
}

/** What the join knows about the connection it reads, from its open to its close. */
interface JoinConnection {
  acks: number;
  server: ServerKind;
  /** After a reconnect: resolved (reported or not) once we know whether the server filled the gap. */
  gapPending: { downSinceMs: number } | undefined;
  /** The first ack named another run than the previous connection's: serve restarted in between. */
  restarted: boolean;
  /** serve's `replayed` arrived: history is over, what follows is live. */
  replayed: boolean;
  /** Ids of replayed events, kept only while held events wait for the join. */
  replayIds: Set<string> | undefined;
  /** Ids shown before the first ack because `held` was full: the replay must not repeat them. */
  earlyIds: Set<string> | undefined;
  /** Whether this connection asked for the user's initial history. */
  askedHistory: boolean;
  /**
   * Events that arrived before the first ack. serve delivers live events from
   * the moment a socket opens, so these can overtake the replay we asked for;
   * they are released after `replayed` (or once the server is known to be a
   * gateway, which sends none before the ack) to keep the stream in order.
   */
  held: EventMessage[];
  detectTimer: Timer | undefined;
}

export class HistoryJoin {
  private conn: JoinConnection | undefined;
  private serverKind: ServerKind = 'unknown';
  private everOpened = false;
  /** The last event shown that has an event_id (its id is what a reconnect resumes after). */
  private readonly lastId = new LastEventId();
  /** The serve run the last acknowledged connection talked to. */
  private serverInstance: string | undefined;
  private previousOpenWallMs: number | undefined;
  /** Start of the current outage (monotonic), until a connection settles it. */
  private downSinceMs: number | undefined;
  private readonly maxHeld: number;

  constructor(private readonly options: HistoryJoinOptions) {
    this.maxHeld = options.maxHeld ?? MAX_HELD_EVENTS;
  }

  /** What the server turned out to be (known once a connection settles; kept across reconnects). */
  get server(): ServerKind {
    return this.serverKind;
  }

  /** Whether an event is shown as it arrives (not held for the join nor checked against the replay): the live part of a connection. */
  get live(): boolean {
    const conn = this.conn;
    return conn === undefined || conn.server === 'gateway' || conn.replayed;
  }

  /** A plain event frame was shown without a message (only while `live`); its event_id, if any, is `frame[idStart, idEnd)`. */
  shownFrame(frame: Buffer, idStart: number, idEnd: number): void {
    this.lastId.noteFrame(frame, idStart, idEnd);
  }

  /**
   * A connection opened: announces it (`open`, then at once the gap of an
   * outage when the server is known to keep no history) and returns what to
   * send right away. Subscribe at once: a gateway does not attach the
   * connection to its bus for 5 s otherwise. The second, identical subscribe
   * is a probe: serve acknowledges it, a gateway (which acks only the first)
   * does not. `paused`: the detection timer waits for resume().
   */
  open(attempt: number, paused: boolean): SubscribeMessage[] {
    const conn: JoinConnection = {
      acks: 0,
      server: 'unknown',
      gapPending: undefined,
      restarted: false,
      replayed: false,
      replayIds: undefined,
      earlyIds: undefined,
      askedHistory: false,
      held: [],
      detectTimer: undefined,
    };
    this.conn = conn;
    const openedWallMs = this.options.clock.now();
    const subscribes = [this.subscribeMessage(this.replayFor(conn)), this.subscribeMessage(undefined)];
    if (this.everOpened && this.downSinceMs !== undefined) {
      conn.gapPending = { downSinceMs: this.downSinceMs };
      this.downSinceMs = undefined;
    }
    this.everOpened = true;
    this.previousOpenWallMs = openedWallMs;
    this.options.emit({ kind: 'open', attempt, server: this.serverKind });
    if (!paused) this.armDetection(conn);
    // A server already known as a gateway cannot fill the gap: say so at once.
    if (conn.gapPending && this.serverKind === 'gateway') this.settleGapAsGateway(conn);
    return subscribes;
  }

  /** The reader paused (backpressure) or stopped: the detection timer stops with it. */
  pause(): void {
    const conn = this.conn;
    if (conn?.detectTimer) conn.detectTimer.cancel();
    if (conn) conn.detectTimer = undefined;
  }

  /** The reader resumed: an undecided server gets the whole detection time again. */
  resume(): void {
    if (this.conn) this.armDetection(this.conn);
  }

  /** An event frame, parsed or not: held, dropped at the join, or shown. */
  event(message: EventMessage): void {
    const conn = this.conn;
    if (conn !== undefined && conn.server !== 'gateway' && !conn.replayed) {
      const id = message.id;
      if (conn.acks === 0) {
        // Before the first ack: held until the replay we asked for has been joined (see joinHeld).
        if (conn.held.length < this.maxHeld) {
          conn.held.push(message);
          return;
        }
        if (id !== undefined) (conn.earlyIds ??= new Set()).add(id);
      } else if (id !== undefined) {
        // Between the ack and `replayed`: history. Never show an id twice at the join.
        if (conn.earlyIds?.has(id)) return;
        if (conn.held.length > 0) (conn.replayIds ??= new Set()).add(id);
      }
    }
    this.show(message);
  }

  /** A `subscribed` frame: the first tells serve (which names its run) from a gateway; a second one is serve's. */
  ack(message: SubscribedMessage): void {
    const conn = this.conn;
    if (conn !== undefined) {
      conn.acks++;
      if (conn.acks === 1) this.onFirstAck(conn, message.instance_id);
      if (conn.acks >= 2) {
        this.markServer(conn, 'serve');
        // serve answers the replay before the second ack; a server that acks twice without
        // it must not keep held events forever (found by hostile fuzz: they were never shown).
        if (!conn.replayed) this.joinHeld(conn);
      }
    }
    this.options.emit({ kind: 'subscribed', eventTypes: message.event_types, serverIds: message.mcp_server_ids });
  }

  /** serve's `replayed`: history is over; the held events the replay did not cover follow it, then live. */
  replayed(message: ReplayedMessage): void {
    const conn = this.conn;
    if (conn === undefined) return;
    this.markServer(conn, 'serve');
    if (conn.replayed) return; // one replay per connection; a second marker is a confused server
    conn.replayed = true;
    const resumed = conn.gapPending !== undefined || conn.restarted;
    this.options.emit({ kind: 'replayed', count: message.count, complete: message.complete, resumed, requested: conn.askedHistory, kept: message.kept });
    this.joinHeld(conn);
    if (!message.complete) this.settleGap(conn, "the server's history no longer reaches back to the last event seen (it may have restarted)");
    conn.gapPending = undefined;
  }

  /**
   * The connection closed (or never opened). An outage lasts from the last sign
   * of life before the first lost connection (`lastSeenMs`, asked only when
   * needed) until a connection that settled the gap: connections in between
   * that settled nothing are part of it.
   */
  close(lastSeenMs: () => number): void {
    const conn = this.conn;
    if (conn === undefined) return;
    this.conn = undefined;
    conn.detectTimer?.cancel();
    conn.detectTimer = undefined;
    // Events held for a join that never came are not shown: serve replays them on the next connection
    // (we resume after the last event shown). Showing them now would move that point past a hole.
    if (conn.server === 'gateway' || conn.replayed) this.releaseHeld(conn);
    else conn.held = [];
    if (conn.gapPending) this.downSinceMs = conn.gapPending.downSinceMs;
    else if (this.downSinceMs === undefined) this.downSinceMs = lastSeenMs();
  }

  private replayFor(conn: JoinConnection): ReplayRequest {
    if (!this.everOpened) {
      if (this.options.initialReplay) {
        conn.askedHistory = true;
        return this.options.initialReplay;
      }
      // Harmless everywhere: serve answers `replayed` (which tells us it is serve), a gateway ignores it.
      return { last: 0 };
    }
    // Naming the run the id was seen on lets a restarted serve tell that the id is from an earlier run.
    const lastEventId = this.lastId.id;
    if (lastEventId !== undefined) return this.serverInstance !== undefined ? { after: lastEventId, instance_id: this.serverInstance } : { after: lastEventId };
    return { since: (this.previousOpenWallMs ?? this.options.clock.now()) / 1000 };
  }

  private subscribeMessage(replay: ReplayRequest | undefined): SubscribeMessage {
    const message: SubscribeMessage = { type: 'subscribe' };
    const { eventTypes, serverIds, replayServerIds, replayFilter } = this.options.subscription;
    // An empty list would match nothing on a gateway: callers pass undefined to omit a key.
    if (eventTypes !== undefined) message.event_types = [...eventTypes];
    if (serverIds !== undefined) message.mcp_server_ids = [...serverIds];
    const realReplay = replay !== undefined && !('last' in replay && replay.last === 0);
    if (serverIds === undefined && replayServerIds !== undefined && realReplay && this.serverKind !== 'gateway') {
      message.mcp_server_ids = [...replayServerIds];
    }
    if (replayFilter !== undefined && realReplay && this.serverKind !== 'gateway') message.replay_filter = replayFilter;
    if (replay) message.replay = replay;
    return message;
  }

  private armDetection(conn: JoinConnection): void {
    if (conn.server !== 'unknown') return;
    conn.detectTimer?.cancel();
    conn.detectTimer = this.options.clock.setTimeout(() => {
      conn.detectTimer = undefined;
      this.markServer(conn, 'gateway');
    }, this.options.serverDetectMs);
  }

  private markServer(conn: JoinConnection, server: 'serve' | 'gateway'): void {
    if (conn.server !== 'unknown') return;
    conn.server = server;
    conn.detectTimer?.cancel();
    conn.detectTimer = undefined;
    const changed = this.serverKind !== server;
    this.serverKind = server;
    if (changed) this.options.emit({ kind: 'server-kind', server });
    if (server === 'gateway') {
      this.releaseHeld(conn);
      if (conn.askedHistory) this.options.emit({ kind: 'no-history' });
      if (conn.gapPending) this.settleGapAsGateway(conn);
    }
  }

  /**
   * The first ack tells what the server is: serve names its run
   * (`instance_id`), a gateway does not. Knowing at once (not after a timer)
   * is what lets a connection that lives only a second still settle its gap.
   */
  private onFirstAck(conn: JoinConnection, instanceId: string | undefined): void {
    if (instanceId === undefined) {
      this.markServer(conn, 'gateway');
      return;
    }
    conn.restarted = this.serverInstance !== undefined && instanceId !== this.serverInstance;
    this.serverInstance = instanceId;
    this.markServer(conn, 'serve');
    // A new run's history is not the one we resumed from: whatever the old run published after our last event is gone.
    if (conn.restarted) this.settleGap(conn, 'the server restarted (a new run, with a new history): events published before the restart may have been missed');
  }

  private settleGapAsGateway(conn: JoinConnection): void {
    this.settleGap(conn, 'the server keeps no history, so events published while the stream was down are lost');
  }

  /**
   * Reports the pending gap of `conn` (once): from the last event or frame seen
   * before the outage to now, just before the first event after it.
   */
  private settleGap(conn: JoinConnection, reason: string): void {
    const pending = conn.gapPending;
    if (!pending) return;
    conn.gapPending = undefined;
    this.options.emit({ kind: 'gap', downForMs: Math.max(0, this.options.clock.monotonicMs() - pending.downSinceMs), reason });
  }

  private show(message: EventMessage): void {
    this.lastId.noteMessage(message);
    this.options.emit(message);
  }

  private releaseHeld(conn: JoinConnection): void {
    const held = conn.held;
    if (held.length === 0) return;
    conn.held = [];
    for (const message of held) this.show(message);
  }

  /** Held events the replay did not cover follow it (joinHeldEvents). */
  private joinHeld(conn: JoinConnection): void {
    const held = conn.held;
    const ids = conn.replayIds;
    conn.replayIds = undefined;
    if (held.length === 0) return;
    conn.held = [];
    for (const message of joinHeldEvents(held, ids)) this.show(message);
  }
}

/**
 * The join of history and live on serve, whatever the latency; pure. Events
 * that arrived before the first ack were sent live before serve saw the
 * subscribe (its first-message hold had run out), so the replay that
 * followed covers them. `held` are those events, `replayIds` the ids the
 * replay delivered (undefined: it repeated none). Held events the replay
 * repeated, and every held event older than the newest one it repeated, are
 * dropped; the rest (newer, or outside the replay's filter) follow the
 * replay, in order. Each id is shown once.
 */
export function joinHeldEvents(held: readonly EventMessage[], replayIds: ReadonlySet<string> | undefined): EventMessage[] {
  let start = 0;
  if (replayIds !== undefined) {
    for (let i = held.length - 1; i >= 0; i--) {
      const id = held[i]!.id;
      if (id !== undefined && replayIds.has(id)) {
        start = i + 1;
        break;
      }
    }
  }
  const out: EventMessage[] = [];
  for (let i = start; i < held.length; i++) {
    const message = held[i]!;
    const id = message.id;
    if (replayIds !== undefined && id !== undefined && replayIds.has(id)) continue;
    out.push(message);
  }
  return out;
}
