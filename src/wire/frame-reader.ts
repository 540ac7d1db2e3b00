import type { WebSocket } from 'ws';

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
 * the frame's start and the next chunk).
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
/** A partial frame is put together here up to this size; a longer one is left to the receiver. */
const MAX_PENDING_BYTES = 1024 * 1024;

/**
 * Starts reading `ws`'s text frames in place (call on `open`); each goes to
 * `onText` instead of a `message` event. What the socket gives ws's receiver
 * passes here first (the receiver's `write`), so ws keeps wiring its socket
 * as it does (pause, close, errors). Returns false, changing nothing, when
 * ws is not built as this module expects (then ws reads as usual).
 */
export function readTextFramesInPlace(ws: WebSocket, onText: (payload: Buffer) => void): boolean {
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

  (receiver as { write: (chunk: Buffer) => boolean }).write = (chunk: Buffer): boolean => {
    if (receiverReads) {
      if (!receiverIdle()) return handOver(chunk);
      receiverReads = false;
    }
    let data = chunk;
    if (pending !== undefined) {
      data = Buffer.concat([pending, chunk]);
      pending = undefined;
    }
    const n = data.length;
    let i = 0;
    while (i < n) {
      if (n - i < 2) break;
      const b0 = data[i]!;
      const b1 = data[i + 1]!;
      // FIN, no reserved bits, opcode 1 (text), no mask: anything else is the receiver's.
      if (b0 !== 0x81 || (b1 & 0x80) !== 0) return handOver(data.subarray(i));
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (n - i < 4) break;
        length = data.readUInt16BE(i + 2);
        header = 4;
      } else if (length === 127) {
        if (n - i < 10) break;
        // Over 4 GiB (or a malformed length) is the receiver's to refuse.
        if (data.readUInt32BE(i + 2) !== 0) return handOver(data.subarray(i));
        length = data.readUInt32BE(i + 6);
        header = 10;
      }
      if (receiver._maxPayload > 0 && length > receiver._maxPayload) return handOver(data.subarray(i));
      const end = i + header + length;
      if (end > n) {
        if (n - i > MAX_PENDING_BYTES) return handOver(data.subarray(i));
        break;
      }
      onText(data.subarray(i + header, end));
      i = end;
    }
    if (i < n) pending = data.subarray(i);
    return true;
  };
  return true;
}
