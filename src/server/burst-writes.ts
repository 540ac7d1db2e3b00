import { bufferView } from '../wire/buffer-view.js';
import type { Transport } from '../wire/ws-transport.js';

/**
 * Most bytes handed to the transport in one write (one writev under cork), and
 * most bytes of memory its pre-framed events may lie in (see
 * BurstWrites.wouldKeepMore; a server's connections may get more, see burstBytesFor). A flush writes only while nothing handed over is
 * left unsent (the OS took the last burst at once), so a peer that stopped
 * reading keeps one burst alive in the process, frames and the memory they lie
 * in (one slab of the max-rate source): a thousand such peers kept two or three
 * slabs each (bench scenario 8), while a fast peer still gets the high-water
 * mark's worth per flush.
 */
export const BURST_BYTES = 16 * 1024;

/** Most bytes in one write for a connection that has few others beside it (see burstBytesFor). */
export const MAX_BURST_BYTES = 64 * 1024;

/** Burst memory shared out among a server's connections (see burstBytesFor). */
export const BURST_BUDGET_BYTES = 256 * 1024;

/**
 * A connection's burst size when `connections` share the server: each gets a
 * share of BURST_BUDGET_BYTES, no less than BURST_BYTES and no more than
 * MAX_BURST_BYTES. One write costs a system call whatever its size (on
 * loopback the kernel's work per call outweighs its copy of 16 KiB), so a
 * few fast clients get a quarter as many calls, while what peers that stopped
 * reading can keep alive stays within the budget or one BURST_BYTES each: from
 * 16 connections on, every one is at BURST_BYTES as before.
 */
export function burstBytesFor(connections: number): number {
  return Math.min(MAX_BURST_BYTES, Math.max(BURST_BYTES, Math.floor(BURST_BUDGET_BYTES / Math.max(1, connections))));
}

/**
 * The writes of one burst (see Subscriber.writeBurst), each made once the
 * next frame is known, so that only the last one carries the completion
 * callback. Pre-framed events that lie back to back in one memory (the
 * max-rate source writes its frames one after the other into slabs) are
 * written as one view over the run instead of one write each: fewer calls
 * into the socket's stream, fewer buffers for the kernel's writev.
 */
export class BurstWrites {
  /** The run of pre-framed events held back: back to back in `memory` from `start` to `end`. */
  private memory: ArrayBufferLike | undefined;
  private start = 0;
  private end = 0;
  private frames = 0;
  /** The memory of this burst's last pre-framed event, and the bytes of the memories its pre-framed events lie in (see wouldKeepMore). */
  private slab: ArrayBufferLike | undefined;
  private kept = 0;
  /** A text frame (control, replay, warning) held back, for the transport to frame. */
  private text: Buffer | undefined;

  /** Whether anything is held back (the burst's last write is still to be made). */
  get holding(): boolean {
    return this.frames > 0 || this.text !== undefined;
  }

  /**
   * Whether a pre-framed event in `memory` would make what this burst keeps
   * alive exceed `limitBytes` (the first memory always fits). A write the
   * peer does not read keeps every memory its frames lie in alive (a whole
   * slab of the max-rate source for one frame in it), so a burst ends there.
   */
  wouldKeepMore(memory: ArrayBufferLike, limitBytes: number): boolean {
    return this.slab !== undefined && memory !== this.slab && this.kept + memory.byteLength > limitBytes;
  }

  /** Adds a whole pre-framed event (`length` bytes of `memory` from `at`): it extends the run when it starts where the run ends. */
  framed(transport: Transport, memory: ArrayBufferLike, at: number, length: number): void {
    if (this.frames > 0 && memory === this.memory && at === this.end) {
      this.end += length;
      this.frames++;
      return;
    }
    this.write(transport);
    if (memory !== this.slab) {
      this.slab = memory;
      this.kept += memory.byteLength;
    }
    this.memory = memory;
    this.start = at;
    this.end = at + length;
    this.frames = 1;
  }

  /** Adds a payload the transport frames (`send`). */
  unframed(transport: Transport, frame: Buffer): void {
    this.write(transport);
    this.text = frame;
  }

  /** Writes what is held back, if anything, with `done` as its completion callback. */
  write(transport: Transport, done?: (error?: Error) => void): void {
    if (this.frames > 0) {
      const wire = bufferView(this.memory!, this.start, this.end - this.start);
      this.frames = 0;
      this.memory = undefined;
      transport.sendFramed!(wire, done);
    } else if (this.text !== undefined) {
      const frame = this.text;
      this.text = undefined;
      transport.send(frame, done);
    }
  }

  /** Ends the burst: lets go of what is held back without writing it (written already, or the transport threw: it is closing). */
  clear(): void {
    this.slab = undefined;
    this.kept = 0;
    this.frames = 0;
    this.memory = undefined;
    this.text = undefined;
  }
}
