import type { HangarEvent } from '../protocol/types.js';

/** One live event as the hub offers it: built once per publish and shared by every queue that holds it. */
export interface LiveEvent {
  readonly event: HangarEvent;
  /** The payload (JSON text). */
  readonly frame: Buffer;
  /** The whole pre-framed WebSocket text frame, when the hub built one. */
  readonly wire: Buffer | undefined;
}

/** Counters shared by every subscriber of one server (for /health). */
export interface DeliveryStats {
  delivered: number;
  dropped: number;
}
