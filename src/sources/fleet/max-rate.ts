import type { HangarEvent } from '../../protocol/types.js';
import type { EventSink } from '../../server/event-sink.js';
import { LiveEvent } from '../../server/live-event.js';
import { frameWithHoles } from '../../wire/frame-template.js';
import { textFrameHeaderLength, textFrameHeaderLengthOf, writeTextFrameHeader } from '../../wire/text-frame.js';
import type { FleetSimulator } from './model.js';
import { createPrng, deriveSeed, randomUuid, UUID_LENGTH, writeRandomUuid } from './prng.js';

/** Events the max-rate driver simulates before it starts cycling through them. */
export const MAX_RATE_POOL_SIZE = 2_048;

/**
 * Bytes of each slab the copies' frames are written into, one after the
 * other (about 40 events of ~400 bytes): one allocation per slab instead of
 * one per event, each copy's record says where its frame lies, and a
 * subscriber writes the frames of a burst that lie back to back as one view.
 * A slab is never reused; it is freed when the last record or view into it is
 * (history, queues and sockets let go of their frames at their own pace), so
 * a slab lives as long as its longest-kept frame: 64 and 256 KiB slabs cost the same CPU per event
 * but held 45-60 MiB more malloc memory with 1000 clients (bench scenario 8).
 */
const SLAB_BYTES = 16 * 1024;

/**
 * The event generator of `max` mode, built for benchmarks: the first
 * MAX_RATE_POOL_SIZE events are the simulator's own; after that it cycles
 * through them as shallow copies with a fresh `event_id` (still drawn from
 * the seed) and `correlation_id`s suffixed with the cycle number (`<id>-2`),
 * so the stream keeps realistic event sizes and shapes at a fraction of the
 * simulation's cost. Server states restart at each cycle boundary, which a
 * benchmark does not notice and a reading human never sees at that speed.
 * `occurred_at` is the given stamp rounded to the microsecond.
 *
 * `publishBatch` is what the driver uses: from the second cycle on it neither
 * copies nor serializes the pool event, but copies its WebSocket frame,
 * prepared once per pool event, into the current slab (SLAB_BYTES) and writes
 * the new id, time and cycle into their places; the hub gets one record that
 * is both the frame's place and the fields it indexes (`publishSerialized`,
 * MaxRateCopy). `next`
 * yields the same events as objects.
 */
export interface MaxRateGenerator {
  /** The next event as an object, stamped `occurredAtS`. */
  next(occurredAtS: number): HangarEvent;
  /** Publishes the next event (the same one `next` would return) into `sink`, pre-serialized when the sink takes that. */
  publishNext(sink: EventSink, occurredAtS: number): void;
  /**
   * Publishes the next `count` events, all stamped `occurredAtS`, as `count`
   * calls of publishNext would: the max-rate driver's batch, whose time is
   * taken once instead of being passed (and boxed: a new heap number per call)
   * with every event.
   */
  publishBatch(sink: EventSink, occurredAtS: number, count: number): void;
}

/**
 * One pool event as a whole text frame (header and JSON) with fixed places
 * for what changes per copy: the id, the time and the cycle suffix, the
 * latter two with the widths it was built for (rebuilt when they change).
 */
interface FrameTemplate {
  readonly wire: Buffer;
  readonly headerLength: number;
  readonly idAt: number;
  readonly stampAt: number;
  readonly stampWidth: number;
  /** -1 without a correlation id. */
  readonly cycleAt: number;
  readonly cycleWidth: number;
  readonly eventType: string;
  readonly serverId: string | undefined;
}

/** Stand-ins for the holes while a template is serialized (each must occur exactly once; JSON leaves them as they are). */
const ID_MARKER = '~~hangar-hole-event-id~~';
const STAMP_MARKER = '~~hangar-hole-occurred-at~~';
const CYCLE_MARKER = '~~hangar-hole-cycle~~';
const ZERO_ID = '0'.repeat(UUID_LENGTH);

/** Builds the frame template of `event` for this stamp text and cycle suffix; undefined when it cannot be done safely. */
function frameTemplate(event: HangarEvent, stampText: string, cycleSuffix: string): FrameTemplate | undefined {
  if (typeof event.event_type !== 'string') return undefined;
  const hasCycle = typeof event.correlation_id === 'string';
  const marked: Record<string, unknown> = { ...event, event_id: ID_MARKER, occurred_at: STAMP_MARKER };
  if (hasCycle) marked.correlation_id = `${event.correlation_id as string}${CYCLE_MARKER}`;
  const text = JSON.stringify(marked);
  // Each hole's marker as serialized and what replaces it; the time replaces the quotes too (a number for a string).
  const holes = [
    { marker: ID_MARKER, replacement: ZERO_ID },
    { marker: `"${STAMP_MARKER}"`, replacement: stampText },
  ];
  if (hasCycle) holes.push({ marker: CYCLE_MARKER, replacement: cycleSuffix });
  const framed = frameWithHoles(text, holes);
  if (framed === undefined) return undefined;
  const [idAt, stampAt, cycleAt] = framed.holesAt;
  return {
    wire: framed.wire,
    headerLength: textFrameHeaderLengthOf(framed.wire),
    idAt: idAt!,
    stampAt: stampAt!,
    stampWidth: stampText.length,
    cycleAt: hasCycle ? cycleAt! : -1,
    cycleWidth: cycleSuffix.length,
    eventType: event.event_type,
    serverId: typeof event.mcp_server_id === 'string' ? event.mcp_server_id : undefined,
  };
}

/**
 * `template` with its time and cycle holes made as wide as `stampText` and
 * `cycleSuffix` (the cycle grew a digit, the time's text changed width): the
 * frame's bytes around the holes are copied as they are, the header and the
 * holes' places follow the new length. Serializing the pool event again for
 * every template (~1,800 of them at cycles 10, 100, 1000...) took 50-90 ms.
 */
function resizedTemplate(template: FrameTemplate, stampText: string, cycleSuffix: string): FrameTemplate {
  const old = template.wire;
  const holes = [
    { at: template.idAt, width: UUID_LENGTH, text: undefined as string | undefined, newAt: 0 },
    { at: template.stampAt, width: template.stampWidth, text: stampText, newAt: 0 },
  ];
  if (template.cycleAt >= 0) holes.push({ at: template.cycleAt, width: template.cycleWidth, text: cycleSuffix, newAt: 0 });
  const oldHeaderLength = textFrameHeaderLengthOf(old);
  let payloadLength = old.length - oldHeaderLength;
  for (const hole of holes) if (hole.text !== undefined) payloadLength += hole.text.length - hole.width;
  const headerLength = textFrameHeaderLength(payloadLength);
  const wire = Buffer.allocUnsafe(headerLength + payloadLength);
  writeTextFrameHeader(wire, payloadLength);
  let from = oldHeaderLength;
  let to = headerLength;
  for (const hole of [...holes].sort((a, b) => a.at - b.at)) {
    to += old.copy(wire, to, from, hole.at);
    hole.newAt = to;
    to += hole.text === undefined ? old.copy(wire, to, hole.at, hole.at + hole.width) : wire.write(hole.text, to, 'latin1');
    from = hole.at + hole.width;
  }
  old.copy(wire, to, from);
  const [id, time, cycle] = holes;
  return {
    ...template,
    wire,
    headerLength,
    idAt: id!.newAt,
    stampAt: time!.newAt,
    stampWidth: stampText.length,
    cycleAt: cycle === undefined ? -1 : cycle.newAt,
    cycleWidth: cycleSuffix.length,
  };
}

/**
 * A pre-serialized copy as the hub keeps and offers it (see
 * EventSink.publishSerialized): the record is also the event the hub indexes,
 * with its type and server read from its template, and the id and time read
 * from the frame and the batch's stamp when asked, so a copy costs one object
 * of eight fields, no string and no number of its own (the hub keeps
 * thousands of them alive across young-generation collections, so every field
 * is copied again and again). `fields()` parses the frame for the rare reader
 * of every field.
 */
class MaxRateCopy extends LiveEvent {
  constructor(
    private readonly template: FrameTemplate,
    private readonly stamp: Stamp,
    memory: ArrayBufferLike,
    wireAt: number,
  ) {
    super(undefined, memory, wireAt, template.wire.length, template.headerLength);
  }

  get event_type(): string {
    return this.template.eventType;
  }

  get mcp_server_id(): string | undefined {
    return this.template.serverId;
  }

  get event_id(): string {
    return Buffer.from(this.memory, this.wireAt + this.template.idAt, UUID_LENGTH).toString('latin1');
  }

  get occurred_at(): number {
    return this.stamp.seconds!;
  }

  override fields(): HangarEvent {
    return JSON.parse(this.frame.toString('utf8')) as HangarEvent;
  }
}

/**
 * A stamp as max mode writes it: fixed six decimals (valid JSON), and the
 * number that text parses to. Every copy of a batch reads `seconds` (the hub
 * asks each record for its time): a number field that only ever held numbers
 * is kept unboxed and handed out as a new heap number per read (16 bytes of
 * garbage per event); this one is declared holding `undefined` first, so V8
 * keeps a reference to one boxed number and every read returns that.
 */
class Stamp {
  readonly seconds: number | undefined = undefined;
  readonly text: string;
  readonly bytes: Buffer;

  constructor(occurredAtS: number) {
    const text = Number.isFinite(occurredAtS) && Math.abs(occurredAtS) < 1e15 ? occurredAtS.toFixed(6) : 'null';
    this.seconds = text === 'null' ? Number.NaN : Number(text);
    this.text = text;
    this.bytes = Buffer.from(text, 'latin1');
  }
}

/** `idSalt`: see FleetSimulatorOptions.idSalt (0 = ids follow the seed). */
export function createMaxRateGenerator(sim: FleetSimulator, seed: number, idSalt = 0): MaxRateGenerator {
  const pool: HangarEvent[] = [];
  const templates: (FrameTemplate | null | undefined)[] = [];
  const idRng = createPrng((deriveSeed(seed, 'max-rate-ids') ^ idSalt) >>> 0);
  let index = 0;
  let cycle = 1;
  let cycleSuffix = '-1';
  let cycleBytes = Buffer.from(cycleSuffix);
  let stamp = new Stamp(Number.NaN);
  let stampInput = Number.NaN;
  let slab = Buffer.alloc(0);
  /** The slab's memory as a DataView (the id's digits are written two at a time, see writeRandomUuid). */
  let slabView = new DataView(slab.buffer, slab.byteOffset, 0);
  let slabUsed = 0;

  const stamped = (occurredAtS: number): Stamp => {
    if (occurredAtS !== stampInput) {
      stampInput = occurredAtS;
      stamp = new Stamp(occurredAtS);
    }
    return stamp;
  };

  /** Fills the pool while it is not full; returns the simulator's event, or undefined once cycling. */
  const fromSimulator = (stamp: Stamp): HangarEvent | undefined => {
    if (pool.length >= MAX_RATE_POOL_SIZE) return undefined;
    const event = sim.next();
    event.occurred_at = stamp.seconds;
    pool.push(event);
    return event;
  };

  /** Advances the cycle position; returns the pool index of the next copy. */
  const advance = (): number => {
    const at = index;
    if (++index === MAX_RATE_POOL_SIZE) index = 0;
    if (index === 1) {
      cycle++;
      cycleSuffix = `-${cycle}`;
      cycleBytes = Buffer.from(cycleSuffix);
    }
    return at;
  };

  const copyOf = (template: HangarEvent, eventId: string, stamp: Stamp): HangarEvent => {
    const copy: HangarEvent = { ...template, event_id: eventId, occurred_at: stamp.seconds };
    if (typeof template.correlation_id === 'string') copy.correlation_id = `${template.correlation_id}${cycleSuffix}`;
    return copy;
  };

  /** Publishes the next event, stamped `stamp`: the simulator's own while the pool fills, then a copy's frame written into the current slab. */
  const publishWith = (sink: EventSink, stamp: Stamp): void => {
    const own = fromSimulator(stamp);
    if (own) {
      sink.publish(own);
      return;
    }
    const slot = advance();
    const stampBytes = stamp.bytes;
    let template = templates[slot];
    if (template && (template.stampWidth !== stampBytes.length || (template.cycleAt >= 0 && template.cycleWidth !== cycleSuffix.length))) {
      template = templates[slot] = resizedTemplate(template, stamp.text, cycleSuffix);
    }
    if (template === undefined) template = templates[slot] = frameTemplate(pool[slot]!, stamp.text, cycleSuffix) ?? null;
    if (template === null || !sink.publishSerialized) {
      sink.publish(copyOf(pool[slot]!, randomUuid(idRng), stamp));
      return;
    }
    // One copy of the prepared frame into the slab, then the id, time and cycle written into their places.
    const source = template.wire;
    const length = source.length;
    if (slabUsed + length > slab.length) {
      slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, length)); // its own memory, byteOffset 0 (the records' offsets are into slab.buffer)
      slabView = new DataView(slab.buffer);
      slabUsed = 0;
    }
    const at = slabUsed;
    slabUsed += length;
    slab.set(source, at); // a builtin copy: Buffer#copy costs a native call per event
    writeRandomUuid(idRng, slabView, at + template.idAt); // the id randomUuid(idRng) would draw, as bytes
    const stampAt = at + template.stampAt;
    for (let i = 0; i < stampBytes.length; i++) slab[stampAt + i] = stampBytes[i]!;
    if (template.cycleAt >= 0) {
      const cycleAt = at + template.cycleAt;
      for (let i = 0; i < cycleBytes.length; i++) slab[cycleAt + i] = cycleBytes[i]!;
    }
    sink.publishSerialized(new MaxRateCopy(template, stamp, slab.buffer, at));
  };

  return {
    next(occurredAtS) {
      const stamp = stamped(occurredAtS);
      const own = fromSimulator(stamp);
      if (own) return own;
      const template = pool[advance()]!;
      return copyOf(template, randomUuid(idRng), stamp);
    },
    publishNext(sink, occurredAtS) {
      publishWith(sink, stamped(occurredAtS));
    },
    publishBatch(sink, occurredAtS, count) {
      const stamp = stamped(occurredAtS);
      for (let i = 0; i < count; i++) publishWith(sink, stamp);
    },
  };
}
