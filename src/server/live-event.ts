import type { HangarEvent } from '../protocol/types.js';
import { bufferView } from '../wire/buffer-view.js';

/**
 * One published event as the hub keeps and offers it: built once per publish
 * and shared by history, the recent ring and every queue that holds it. Its
 * whole WebSocket frame lies in `memory` (`wireLength` bytes from `wireAt`:
 * `headerLength` bytes of header, then the JSON payload), and nothing else is
 * made per event: the subscribers write the frames of a burst as views made
 * per write (see BurstWrites), and a view of the payload alone (`frame`) is
 * made only when something asks for it (a replay, a transport that frames
 * itself), then kept, so every asker gets the same Buffer.
 *
 * A source may publish its own subclass that is also the event (the max-rate
 * source's copies: `event` is the record itself, see max-rate.ts), so that a
 * copy costs one object.
 */
export class LiveEvent {
  /** The event's fields as the hub filters and indexes them (see EventSink.publishSerialized). */
  readonly event: HangarEvent;
  private payloadView: Buffer | undefined;

  /**
   * `event` undefined: the record is the event itself (a subclass with the event's fields).
   * `headerLength` 0: `memory` holds the payload alone, not framed (a subscriber's `offer` without a frame).
   */
  constructor(
    event: HangarEvent | undefined,
    readonly memory: ArrayBufferLike,
    readonly wireAt: number,
    readonly wireLength: number,
    readonly headerLength: number,
  ) {
    this.event = event ?? (this as unknown as HangarEvent);
    this.payloadView = undefined;
  }

  /** A record of a payload and, when given, the whole frame it is the tail of (`frame` is then the payload's Buffer itself). */
  static of(event: HangarEvent, frame: Buffer, wire?: Buffer): LiveEvent {
    const live = wire === undefined ? new LiveEvent(event, frame.buffer, frame.byteOffset, frame.length, 0) : new LiveEvent(event, wire.buffer, wire.byteOffset, wire.length, wire.length - frame.length);
    live.payloadView = frame;
    return live;
  }

  /** Bytes of the payload (what queue and history bounds count). */
  get frameLength(): number {
    return this.wireLength - this.headerLength;
  }

  /** The payload (JSON text), made on first use and kept. */
  get frame(): Buffer {
    return (this.payloadView ??= bufferView(this.memory, this.wireAt + this.headerLength, this.wireLength - this.headerLength));
  }

  /** The whole frame (a new view each time), or undefined when the record holds no frame header. */
  get wire(): Buffer | undefined {
    return this.headerLength === 0 ? undefined : bufferView(this.memory, this.wireAt, this.wireLength);
  }

  /**
   * All of the event's fields: `event` itself, except for a record whose
   * `event` carries only what the hub indexes (a max-rate copy), which reads
   * them from its frame. For the rare readers of every field (the fleet
   * snapshot, the simulated server logs, a replay's `where`).
   */
  fields(): HangarEvent {
    return this.event;
  }
}

/** Counters shared by every subscriber of one server (for /health). */
export interface DeliveryStats {
  delivered: number;
  dropped: number;
}
