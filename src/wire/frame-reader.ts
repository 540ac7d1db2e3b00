import type { WebSocket } from 'ws';
import { bufferView, tailView } from './buffer-view.js';

/**
 * Reads a client's incoming text frames from the socket's chunks in place:
 * each whole, unfragmented, unmasked, uncompressed text frame is handed on as
 * a view into the chunk it arrived in (no copy, no Buffer of its own, no
 * `message` event), which is most of what ws's receiver costs per frame
 * (bench/README.md, tail's NDJSON path). Anything unusual goes to ws's own
 * receiver from that byte on, so ws still does everything else as before:
 * control frames (ping, pong, close), fragments, compressed or masked frames,
 * reserved bits, frames over ws's `maxPayload`. Reading in place resumes once
 * the receiver is back between frames with nothing buffered.
 *
 * Like the receiver, it hands frames on synchronously, in order, as a chunk
 * arrives; a frame split across chunks is put together first (one copy of
 * that frame alone when the next chunk completes it; the rest of that chunk
 * is read in place).
 */

/** What this module uses of ws's receiver (ws 8): its input, whether it is between frames with nothing buffered, its payload limit. */
interface WsReceiver {
  readonly _state: number;
  readonly _bufferedBytes: number;
  readonly _fragmented: number;
  readonly _opcode: number;
  readonly _maxPayload: number;
  readonly _errored: boolean;
  write(chunk: Buffer): boolean;
}

/** ws's receiver state between frames (GET_INFO). */
const RECEIVER_IDLE = 0;
/** A frame header is at most this long (2 bytes, and 8 of length). */
const MAX_HEADER_BYTES = 10;
/** What frameEnd says of a frame that is the receiver's, and of a header cut by the end of the data. */
const NOT_IN_PLACE = -1;
const NEED_MORE = -2;
/** A partial frame is put together here up to this size; a longer one is left to the receiver. */
const MAX_PENDING_BYTES = 1024 * 1024;

/**
 * Optional: takes a run of whole frames at `data[at]` at once (frames with a
 * payload over `maxPayload` bytes are not its to take) and returns the index
 * after the last frame it took (`at`: none). The reader offers each run of
 * frames of a read first; the frame a run stopped at is handed to `onText` or
 * the receiver as before, then the next run is offered.
 */
export type TextRunReader = (data: Buffer, at: number, maxPayload: number) => number;

/**
 * Starts reading `ws`'s text frames in place (call on `open`); each goes to
 * `onText` instead of a `message` event, with the Buffer it is a view of
 * (`read`: the socket's chunk, or a frame put together; a new Buffer per
 * chunk, never changed after, so a consumer can copy it once for all of its
 * frames: protocol/plain-scan-wasm.ts). What the socket gives ws's receiver
 * passes here first (the receiver's `write`), so ws keeps wiring its socket
 * as it does (pause, close, errors). Returns false, changing nothing, when
 * ws is not built as this module expects (then ws reads as usual).
 */
export function readTextFramesInPlace(ws: WebSocket, onText: (payload: Buffer, read: Buffer) => void, onRun?: TextRunReader): boolean {
  const receiver = (ws as unknown as { _receiver?: WsReceiver })._receiver;
  if (receiver === undefined || typeof receiver.write !== 'function' || typeof receiver._state !== 'number' || typeof receiver._bufferedBytes !== 'number') return false;
  const receive = receiver.write.bind(receiver);

  /** The start of a frame that the last chunk ended inside. */
  let pending: Buffer | undefined;
  /** The receiver is inside a frame (or a fragmented message) it was given: it reads until it is between frames again. */
  let receiverReads = false;

  const receiverIdle = (): boolean =>
    receiver._state === RECEIVER_IDLE && receiver._bufferedBytes === 0 && receiver._fragmented === 0 && receiver._opcode !== 0x08 && !receiver._errored;

  const handOver = (bytes: Buffer): boolean => {
    const more = receive(bytes);
    receiverReads = !receiverIdle();
    return more;
  };

  /** The header length of the frame frameEnd last measured. */
  let headerLength = 0;
  /**
   * The end of the frame at `data[i]` (header and payload, wherever the data
   * ends), when it is one to read in place; NOT_IN_PLACE for the receiver,
   * NEED_MORE when its header is not all there.
   */
  const frameEnd = (data: Buffer, i: number, n: number): number => {
    if (n - i < 2) return NEED_MORE;
    const b0 = data[i]!;
    const b1 = data[i + 1]!;
    // FIN, no reserved bits, opcode 1 (text), no mask: anything else is the receiver's.
    if (b0 !== 0x81 || (b1 & 0x80) !== 0) return NOT_IN_PLACE;
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (n - i < 4) return NEED_MORE;
      length = data.readUInt16BE(i + 2);
      header = 4;
    } else if (length === 127) {
      if (n - i < 10) return NEED_MORE;
      // Over 4 GiB (or a malformed length) is the receiver's to refuse.
      if (data.readUInt32BE(i + 2) !== 0) return NOT_IN_PLACE;
      length = data.readUInt32BE(i + 6);
      header = 10;
    }
    if (receiver._maxPayload > 0 && length > receiver._maxPayload) return NOT_IN_PLACE;
    headerLength = header;
    return i + header + length;
  };

  (receiver as { write: (chunk: Buffer) => boolean }).write = (chunk: Buffer): boolean => {
    if (receiverReads) {
      if (!receiverIdle()) return handOver(chunk);
      receiverReads = false;
    }
    let data = chunk;
    let i = 0;
    if (pending !== undefined) {
      const start = pending;
      pending = undefined;
      // The frame the last read ended inside is put together alone (one copy of it) when this
      // read completes it, and the rest of this read is read in place; else both are joined.
      const head = start.length >= MAX_HEADER_BYTES ? start : Buffer.concat([start, chunk.subarray(0, MAX_HEADER_BYTES - start.length)]);
      const end = frameEnd(head, 0, head.length);
      if (end >= 0 && end - start.length <= chunk.length) {
        const frame = Buffer.concat([start, chunk.subarray(0, end - start.length)], end);
        onText(tailView(frame, headerLength), frame);
        i = end - start.length;
      } else data = Buffer.concat([start, chunk]);
    }
    const n = data.length;
    let offerRun = onRun !== undefined;
    while (i < n) {
      if (offerRun) {
        const next = onRun!(data, i, receiver._maxPayload > 0 ? receiver._maxPayload : Number.MAX_SAFE_INTEGER);
        offerRun = false;
        if (next > i) {
          i = next;
          continue;
        }
      }
      offerRun = onRun !== undefined;
      const end = frameEnd(data, i, n);
      if (end === NEED_MORE) break;
      if (end === NOT_IN_PLACE) return handOver(data.subarray(i));
      if (end > n) {
        if (n - i > MAX_PENDING_BYTES) return handOver(data.subarray(i));
        break;
      }
      // A view made as wire/buffer-view.ts makes it: Buffer#subarray cost ~6% of tail -o ndjson's busy time.
      onText(bufferView(data.buffer, data.byteOffset + i + headerLength, end - i - headerLength), data);
      i = end;
    }
    if (i < n) pending = data.subarray(i);
    return true;
  };
  return true;
}
