import { randomUUID } from 'node:crypto';
import { compileEventFilter } from '../filter/event-filter.js';
import { compileSubscription } from '../protocol/filter.js';
import { summarizeFleet, type FleetServer } from '../protocol/fleet-snapshot.js';
import type { HangarEvent, ReplayFilter, ReplayRequest, SubscribeMessage } from '../protocol/types.js';
import type { EventSink, UpstreamNotices } from './event-sink.js';
import { textFrameHeaderLength, writeTextFrameHeader } from '../wire/text-frame.js';
import { History, type ReplayResult } from './history.js';
import { RecentEvents } from './recent-events.js';
import { STORE_KEEPS_NOTE, type StoreHistory, type StoreHistoryResult } from './store-history.js';
import { LiveEvent, type DeliveryStats } from './live-event.js';
import type { Subscriber } from './subscriber.js';
import { UpstreamAnnouncer, type UpstreamStats } from './upstream-notices.js';

export interface HubOptions {
  /** Events kept for replay (0 disables history). */
  readonly historySize: number;
  /** Serialized bytes kept for replay. */
  readonly historyBytes: number;
  /** Wall clock in milliseconds since the Unix epoch (for `occurred_at` at ingest). */
  readonly now: () => number;
  /** Event id generator (default: UUID v4). */
  readonly newEventId?: () => string;
  /** This server run's id, sent in every ack (default: a fresh UUID v4; never derived from --seed). */
  readonly instanceId?: string;
  /**
   * The subscribers' queue size: a subscriber whose queue is full and whose
   * socket is backed up is parked (skipped) until its socket makes progress,
   * which needs this many recent events kept. 0 (the default) never parks.
   */
  readonly queueSize?: number;
}

/** Upstream gaps remembered for replays (each one line of a relay's history). */
const MAX_GAP_MARKS = 1024;

/** Beyond this queue size the hub does not park subscribers (the recent ring would be large). */
const MAX_PARKING_QUEUE_SIZE = 65_536;

/** Counters for /health and the log. */
export interface HubStats extends DeliveryStats {
  published: number;
}

/**
 * The single pipeline every source publishes into. It completes identity
 * fields, serializes each event once, remembers it in the history ring and
 * offers the same buffer to every matching subscriber. It knows nothing about
 * sockets.
 */
export class Hub implements EventSink {
  readonly stats: HubStats = { published: 0, delivered: 0, dropped: 0 };
  /** The subscribers offered every event. */
  private readonly subscribers = new Set<Subscriber>();
  /** `subscribers` as an array for deliver() to walk, made again after a change (walking the Set made an iterator per event). */
  private walk: Subscriber[] | undefined;
  /** Parked subscribers, with the published count when they were parked. */
  private readonly parked = new Map<Subscriber, number>();
  /** The newest events, for parked subscribers; undefined when the hub does not park. */
  private readonly recent: RecentEvents | undefined;
  /** Set while deliver() walks the subscribers; subscribers woken meanwhile rejoin after it. */
  private delivering = false;
  private readonly rejoining: Subscriber[] = [];
  /** Published count at which the parked subscribers are next looked at (see sweepParked). */
  private nextSweepAt = 0;
  private readonly history: History;
  private readonly newEventId: () => string;
  private readonly historyFloor = (): number => this.history.oldestPosition;
  /** A random id of this run: clients compare it across reconnects to tell a restart from the same server. */
  readonly instanceId: string;
  /** serve --store: replays reaching past the ring are completed from the store. */
  private storeHistory: StoreHistory | undefined;
  /** Subscribers whose replay is being read from the store (their live events are held meanwhile). */
  private readonly storeReplays = new Set<Subscriber>();
  /** serve --upstream: what the relay announced about its upstream (see upstreamNotices). */
  private upstream: UpstreamAnnouncer | undefined;
  /** serve --upstream: each upstream gap with the history position of the first event after it (see withGapMarks). */
  private readonly gapMarks: { position: number; frame: Buffer }[] = [];

  constructor(private readonly options: HubOptions) {
    this.history = new History({ capacity: options.historySize, maxBytes: options.historyBytes });
    this.newEventId = options.newEventId ?? randomUUID;
    this.instanceId = options.instanceId ?? randomUUID();
    const queueSize = options.queueSize ?? 0;
    this.recent = queueSize > 0 && queueSize <= MAX_PARKING_QUEUE_SIZE ? new RecentEvents(queueSize) : undefined;
  }

  /** Number of attached subscribers. */
  get subscriberCount(): number {
    return this.subscribers.size + this.parked.size + this.rejoining.length;
  }

  /** Events currently kept for replay. */
  get historyLength(): number {
    return this.history.length;
  }

  /** Starts offering live events to `subscriber` (with its current filter; the default matches everything). */
  attach(subscriber: Subscriber): void {
    this.subscribers.add(subscriber);
    this.walk = undefined;
    const waiting = this.subscriberWaiters;
    this.subscriberWaiters = [];
    for (const resolve of waiting) resolve();
  }

  /**
   * Resolves once at least one subscriber is attached (at once if one is).
   * An embedding that tails its own server (`demo`) starts its sources after
   * this, so its first events are not published before anyone listens.
   */
  whenSubscribed(): Promise<void> {
    if (this.subscriberCount > 0) return Promise.resolve();
    return new Promise((resolve) => this.subscriberWaiters.push(resolve));
  }

  private subscriberWaiters: Array<() => void> = [];

  /**
   * Completes replays that reach past the ring from an event store (serve
   * --store). Only those subscribers take the asynchronous path; every other
   * replay and the fan-out stay as they are.
   */
  useStoreHistory(storeHistory: StoreHistory): void {
    this.storeHistory = storeHistory;
  }

  /**
   * A relay's source announces here what its upstream lost: every client
   * gets a warning frame at this place in its stream (UpstreamAnnouncer), and
   * `upstreamStats` counts them for /health.
   */
  upstreamNotices(): UpstreamNotices {
    const announcer = (this.upstream ??= new UpstreamAnnouncer());
    const everyone = (): Subscriber[] => [...this.subscribers, ...this.parked.keys(), ...this.rejoining];
    return {
      gap: (downForMs, reason) => {
        announcer.gap(everyone(), downForMs, reason);
        // Kept with its place in history, so a replay across it tells a resuming client too.
        const frame = Buffer.from(JSON.stringify(announcer.gapMessage(downForMs, reason)));
        this.gapMarks.push({ position: this.history.nextPosition, frame });
        while (this.gapMarks.length > 0 && (this.gapMarks.length > MAX_GAP_MARKS || this.gapMarks[0]!.position < this.history.oldestPosition)) this.gapMarks.shift();
      },
      dropped: (count, reason) => announcer.dropped(everyone(), count, reason),
    };
  }

  /** The relay's upstream gaps and drops announced so far; undefined when this hub relays nothing. */
  get upstreamStats(): Readonly<UpstreamStats> | undefined {
    return this.upstream?.stats;
  }

  /** Stops offering events to `subscriber`. */
  detach(subscriber: Subscriber): void {
    this.storeReplays.delete(subscriber);
    this.unpark(subscriber);
    this.subscribers.delete(subscriber);
    this.walk = undefined;
    const rejoining = this.rejoining.indexOf(subscriber);
    if (rejoining >= 0) this.rejoining.splice(rejoining, 1);
  }

  /** Brings every parked subscriber up to date, so `stats` and their counts are exact (for /health). */
  settle(): void {
    for (const subscriber of [...this.parked.keys()]) this.unpark(subscriber);
  }

  /**
   * Skips `subscriber` from now on: it can take nothing until its socket makes
   * progress, and every offer meanwhile would only push an older event out of
   * its full queue. Its counts and queue are brought up to date in one step
   * when it wakes (see Subscriber.catchUp), exactly as the offers would have.
   */
  private park(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    this.walk = undefined;
    this.parked.set(subscriber, this.stats.published);
    subscriber.park(() => this.unpark(subscriber));
  }

  private unpark(subscriber: Subscriber): void {
    const parkedAt = this.parked.get(subscriber);
    if (parkedAt === undefined) return;
    this.parked.delete(subscriber);
    subscriber.catchUp(this.stats.published - parkedAt, this.recent!);
    // Woken while deliver() walks the set: the current event is already counted in the catch-up.
    if (this.delivering) this.rejoining.push(subscriber);
    else {
      this.subscribers.add(subscriber);
      this.walk = undefined;
    }
  }

  /**
   * Publishes one event: assigns `event_id`/`occurred_at` when missing,
   * serializes once, keeps it in history and offers it to every matching
   * subscriber. Never throws; returns false when the event could not be
   * serialized (and was not published).
   */
  publish(input: HangarEvent): boolean {
    const prepared = this.prepare(input);
    if (prepared === undefined) return false;
    this.publishJson(prepared.event, prepared.json);
    return true;
  }

  /**
   * Publishes a batch all or nothing: every event is completed and
   * serialized before the first is delivered, so an event that cannot be
   * serialized publishes none of the batch. Returns the index of the first
   * such event, or -1 when all were published.
   */
  publishAll(inputs: readonly HangarEvent[]): number {
    const prepared: Array<{ event: HangarEvent; json: string }> = [];
    for (let i = 0; i < inputs.length; i++) {
      const one = this.prepare(inputs[i]!);
      if (one === undefined) return i;
      prepared.push(one);
    }
    for (const { event, json } of prepared) this.publishJson(event, json);
    return -1;
  }

  /** Assigns `event_id`/`occurred_at` when missing and serializes; undefined when the event cannot be serialized. */
  private prepare(input: HangarEvent): { event: HangarEvent; json: string } | undefined {
    let event: HangarEvent = input;
    if (event.event_id === undefined || event.event_id === null || event.occurred_at === undefined || event.occurred_at === null) {
      event = { ...input };
      if (event.event_id === undefined || event.event_id === null) event.event_id = this.newEventId();
      if (event.occurred_at === undefined || event.occurred_at === null) event.occurred_at = this.options.now() / 1000;
    }
    let json: string;
    try {
      json = JSON.stringify(event);
    } catch {
      return undefined;
    }
    return typeof json === 'string' ? { event, json } : undefined;
  }

  /**
   * Publishes an event its source has already serialized (the simulator's max
   * rate) as a whole WebSocket text frame, in the record the hub keeps and
   * offers: see EventSink.publishSerialized. Nothing is assigned or checked:
   * the source vouches for the frame and for the record's event matching it.
   */
  publishSerialized(live: LiveEvent): void {
    this.deliver(live);
  }

  /** Frames `json` (written straight behind the frame header) and delivers it. */
  private publishJson(event: HangarEvent, json: string): void {
    const length = Buffer.byteLength(json);
    const headerLength = textFrameHeaderLength(length);
    const wire = Buffer.allocUnsafe(headerLength + length);
    writeTextFrameHeader(wire, length);
    wire.write(json, headerLength, length, 'utf8');
    this.deliver(new LiveEvent(event, wire.buffer, wire.byteOffset, wire.length, headerLength));
  }

  /**
   * Keeps the event in history and offers its record, built once, to every
   * matching subscriber (a queue slot is one reference to it).
   */
  private deliver(live: LiveEvent): void {
    const event = live.event;
    const occurredAt = event.occurred_at;
    const occurredAtS = typeof occurredAt === 'number' && Number.isFinite(occurredAt) ? occurredAt : this.options.now() / 1000;
    this.stats.published++;
    this.history.push(live, occurredAtS);
    const recent = this.recent;
    if (recent !== undefined) recent.push(live);
    this.delivering = true;
    // Taken before the walk: one parked on the way leaves the set, not this array (it is skipped from the next event on).
    const walk = (this.walk ??= [...this.subscribers]);
    for (let i = 0; i < walk.length; i++) {
      const subscriber = walk[i]!;
      // A subscriber without a filter (the common case) takes everything without looking at the event.
      const matches = subscriber.matches;
      if (matches === undefined) {
        // Only an unfiltered subscriber is parked: every event it misses is one it matches.
        if (subscriber.offerLive(live) && recent !== undefined && subscriber.parkable) this.park(subscriber);
      } else if (matches(event)) subscriber.offerLive(live);
    }
    this.delivering = false;
    const rejoining = this.rejoining;
    if (rejoining.length > 0) {
      for (const subscriber of rejoining) this.subscribers.add(subscriber);
      rejoining.length = 0;
      this.walk = undefined;
    }
    if (this.parked.size > 0 && this.stats.published >= this.nextSweepAt) this.sweepParked();
  }

  /**
   * Every quarter of a queue's worth of events: a parked subscriber that has
   * missed more than a queue's worth would have had every queued event pushed
   * out by now, so its queue is dropped in one step (counted exactly, memory
   * released); the newest queue's worth stays in `recent` for its catch-up.
   */
  private sweepParked(): void {
    const published = this.stats.published;
    const window = this.recent!.capacity;
    this.nextSweepAt = published + Math.max(1, window >> 2);
    for (const [subscriber, parkedAt] of this.parked) {
      const counted = published - parkedAt - window;
      if (counted <= 0) continue;
      // The new mark first: anything dropQueued wakes (a log hook reading counts) catches up from it.
      this.parked.set(subscriber, parkedAt + counted);
      subscriber.dropQueued(counted);
    }
  }

  /**
   * Applies a subscribe for `subscriber`: acknowledges it, replaces its filter
   * and, when asked, queues matching history and the `replayed` marker. All
   * of it happens synchronously, between two publishes, so no event is lost
   * or duplicated at the join between history and live.
   */
  subscribe(subscriber: Subscriber, message: SubscribeMessage): { replayed?: { count: number; complete: boolean } | undefined } {
    // Events missed while parked matched the old filter.
    this.unpark(subscriber);
    subscriber.filter = { eventTypes: message.event_types, serverIds: message.mcp_server_ids };
    // Compiled once here, so what one client's patterns cost does not grow every publish (see compileSubscription).
    subscriber.matches = message.event_types === undefined && message.mcp_server_ids === undefined ? undefined : compileSubscription(subscriber.filter);
    const replayMatch = message.replay ? compileReplayFilter(message.replay_filter) : { matches: undefined };
    if ('error' in replayMatch) subscriber.sendControl({ type: 'error', code: 'bad_message', message: replayMatch.error });
    const also = 'matches' in replayMatch ? replayMatch.matches : undefined;
    if (subscriber.holding) {
      // Live events held since the connection opened: keep those the filter wants and the
      // replay does not cover (they are older than it), so history and live join in order, once each.
      const filter = subscriber.filter;
      const covered = new Set(message.replay ? this.historyFor(message.replay, filter, also).frames : []);
      const matches = subscriber.matches ?? (() => true);
      subscriber.release((event, frame) => matches(event) && !covered.has(frame));
    }
    subscriber.sendControl({
      type: 'subscribed',
      event_types: message.event_types ?? [],
      mcp_server_ids: message.mcp_server_ids ?? [],
      instance_id: this.instanceId,
    });
    if (!message.replay) return {};
    if (subscriber.replayPending || this.storeReplays.has(subscriber)) {
      // One replay at a time per connection: a client that asks again and again without reading must not pin history.
      subscriber.sendControl({ type: 'error', code: 'replay_busy', message: 'a previous replay is still being sent; ask again once its "replayed" message has arrived' });
      return {};
    }
    const result = this.replay(message.replay, subscriber, also);
    return { replayed: result };
  }

  /**
   * What a replay request gets from history. An `after` that names another
   * instance comes from a client that saw an earlier run of this server: all
   * of this run's history is new to it, and what the earlier run published
   * after that id is gone, so everything kept is sent and `complete` is false.
   * (Seeded runs and --stdin/--replay input repeat event ids across runs, so
   * finding the id proves nothing.)
   */
  /**
   * The fleet as `GET /api/mcp_servers` lists it, folded from the events the
   * history keeps (so it covers every source: the simulated fleet, stdin,
   * replays, ingest). Costs a pass over the history; nothing on publish.
   */
  fleetSnapshot(): FleetServer[] {
    return summarizeFleet(this.history.kept());
  }

  /** The events history keeps, oldest first (serve's simulated server logs are made from them). */
  keptEvents(): Iterable<HangarEvent> {
    return this.history.kept();
  }

  private historyFor(request: ReplayRequest, filter: Subscriber['filter'], also: ReplayMatcher | undefined): ReplayResult {
    if ('after' in request && request.instance_id !== undefined && request.instance_id !== this.instanceId) {
      return { ...this.history.replay({ since: Number.NEGATIVE_INFINITY }, filter, also), complete: false };
    }
    return this.history.replay(request, filter, also);
  }

  /**
   * With a store, the ring's own `complete` is not enough: the store may hold
   * more than the ring ever saw (it is pre-filled with only --history events).
   * A replay goes to the store when the ring does not hold its start.
   */
  private reachesPastRing(request: ReplayRequest, ring: ReplayResult): boolean {
    if (!ring.complete) return true;
    if ('last' in request) return ring.frames.length < request.last;
    if ('since' in request) {
      const oldest = this.history.oldestOccurredAtS;
      return oldest === undefined || oldest >= request.since;
    }
    return false;
  }

  private replay(request: ReplayRequest, subscriber: Subscriber, also: ReplayMatcher | undefined): { count: number; complete: boolean } | undefined {
    const ring = this.historyFor(request, subscriber.filter, also);
    if (this.storeHistory !== undefined && this.reachesPastRing(request, ring)) {
      this.replayFromStore(request, subscriber, ring, this.storeHistory, also);
      return undefined;
    }
    const { complete } = ring;
    const { frames, positions } = this.withGapMarks(request, ring);
    // A client that does not read must not keep frames alive that history has let go of.
    subscriber.enqueueReplay(frames, positions, this.historyFloor);
    // With the client's own filter, `kept` lets it tell "fewer matched" from "fewer were kept".
    subscriber.sendControl({ type: 'replayed', count: ring.frames.length, complete, ...(also ? { kept: this.history.length } : {}) });
    return { count: ring.frames.length, complete };
  }

  /**
   * A relay's replay carries the upstream gaps that lie inside it, each where
   * it happened: a client resuming across an upstream outage learns of it as
   * a client connected throughout did. Inside means after the event the
   * client names (`after`), or after the first replayed event (`last`, `since`).
   */
  private withGapMarks(request: ReplayRequest, ring: ReplayResult): { frames: Buffer[]; positions: number[] } {
    if (this.gapMarks.length === 0) return ring;
    let start: number;
    if ('after' in request) {
      const at = ring.complete ? this.history.positionOf(request.after) : undefined;
      if (at === undefined) return ring;
      start = at + 1;
    } else {
      if (ring.positions.length === 0) return ring;
      start = ring.positions[0]! + 1;
    }
    const marks = this.gapMarks.filter((mark) => mark.position >= start);
    if (marks.length === 0) return ring;
    const frames: Buffer[] = [];
    const positions: number[] = [];
    let m = 0;
    for (let i = 0; i < ring.frames.length; i++) {
      while (m < marks.length && marks[m]!.position <= ring.positions[i]!) {
        frames.push(marks[m]!.frame);
        positions.push(marks[m++]!.position);
      }
      frames.push(ring.frames[i]!);
      positions.push(ring.positions[i]!);
    }
    for (; m < marks.length; m++) {
      frames.push(marks[m]!.frame);
      positions.push(marks[m]!.position);
    }
    return { frames, positions };
  }

  /**
   * A replay the ring cannot cover, with a store behind it: the protocol rule
   * (not a race) is that the subscriber's live events are held, in its own
   * bounded queue with its exact drop accounting, while the missing range is
   * read from the store; then the store's events go out, then the ring's (as
   * found at the subscribe, none of them twice), then `replayed`, then the
   * held live events without those the store already sent.
   */
  private replayFromStore(request: ReplayRequest, subscriber: Subscriber, ring: ReplayResult, storeHistory: StoreHistory, also: ReplayMatcher | undefined): void {
    this.storeReplays.add(subscriber);
    subscriber.holdForReplay();
    const ringIds = new Set<string>();
    const ringOldestIds: string[] = [];
    for (const event of this.history.kept()) {
      const id = event.event_id;
      if (typeof id !== 'string') continue;
      ringIds.add(id);
      if (ringOldestIds.length < 20) ringOldestIds.push(id);
    }
    const subscribed = subscriber.matches ?? (() => true);
    const matches = also === undefined ? subscribed : (event: HangarEvent) => subscribed(event) && also(event);
    const finish = (result: StoreHistoryResult): void => {
      if (!this.storeReplays.delete(subscriber)) return; // detached meanwhile
      const storeIds = new Set<string>();
      const storeFrames: Buffer[] = [];
      for (const event of result.events) {
        const id = event.event_id;
        if (typeof id === 'string') {
          if (storeIds.has(id) || ringIds.has(id)) continue;
          storeIds.add(id);
        }
        try {
          storeFrames.push(Buffer.from(JSON.stringify(event)));
        } catch {
          // An event that cannot be serialized is left out (like publish does).
        }
      }
      subscriber.enqueueReplay(storeFrames);
      // The ring's frames as found at the subscribe, kept whole even if the ring turned over during the read
      // (their memory is bounded by the ring's size; a client that stops reading pins no more than that).
      subscriber.enqueueReplay(ring.frames);
      const reason = result.reason !== undefined ? `${result.reason}; ` : '';
      subscriber.sendControl({
        type: 'replayed',
        count: storeFrames.length + ring.frames.length,
        complete: result.complete,
        from_store: storeFrames.length,
        message: `${storeFrames.length} from the store, ${ring.frames.length} from the ring; ${reason}${STORE_KEEPS_NOTE}`,
      });
      subscriber.releaseReplayHold((event) => typeof event.event_id !== 'string' || !storeIds.has(event.event_id));
    };
    const serverIds = subscriber.filter.serverIds;
    Promise.resolve()
      .then(() =>
        storeHistory.read({
          request,
          matches,
          serverIds: serverIds === undefined ? undefined : [...serverIds],
          need: 'last' in request ? request.last - ring.frames.length : undefined,
          ringIds,
          ringOldestIds,
        }),
      )
      .then(finish, (error: unknown) => finish({ events: [], complete: false, reason: `the store could not be read (${error instanceof Error ? error.message : String(error)})` }));
  }
}

type ReplayMatcher = (event: HangarEvent) => boolean;

/**
 * A client's `replay_filter` compiled with tail's own filter code, so serve
 * picks exactly the events the client will show. A predicate that does not
 * parse is answered with an error and the replay goes on without it (the
 * client filters locally anyway).
 */
function compileReplayFilter(filter: ReplayFilter | undefined): { matches: ReplayMatcher | undefined } | { error: string } {
  if (filter === undefined) return { matches: undefined };
  try {
    const compiled = compileEventFilter({
      types: filter.types ?? [],
      excludeTypes: filter.exclude_types ?? [],
      servers: filter.servers ?? [],
      groups: filter.groups ?? [],
      where: filter.where ?? [],
      whereLabel: 'replay_filter.where',
    });
    return { matches: compiled.matches };
  } catch (error) {
    return { error: `"replay_filter" was ignored: ${error instanceof Error ? error.message : String(error)}` };
  }
}
