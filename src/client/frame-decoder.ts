import { isUtf8 } from 'node:buffer';
import type { RawData } from '../wire/ws.js';
import { PlainEventFrame, type EventMessage } from '../feed/messages.js';
import { decodeServerFrame } from '../protocol/decode.js';
import { scanPlainEvent, type PlainEventScan } from '../protocol/plain-event.js';
import { stripControl } from '../protocol/sanitize.js';
import type { ServerControlMessage } from '../protocol/types.js';

/**
 * One frame from the server, checked and decoded; pure (no socket, no
 * clock). A frame is an event, a control message, or bad with a reason that
 * is safe to print (peer text is sanitized and cut).
 */
export type DecodedFrame =
  | { readonly kind: 'event'; readonly message: EventMessage }
  | { readonly kind: 'control'; readonly message: ServerControlMessage }
  | { readonly kind: 'bad'; readonly reason: string };

export interface FrameLimits {
  /** Larger frames are bad (not decoded). */
  readonly maxFrameBytes: number;
  /** Pass a plain event frame on as its bytes, checked by a byte scan instead of JSON.parse (see protocol/plain-event.ts). */
  readonly passPlainEvents: boolean;
  /** Scratch space for the scan (reused, so decoding allocates nothing for it). */
  readonly scan: PlainEventScan;
}

/** Checks and decodes one frame. */
export function decodeFrame(data: RawData, isBinary: boolean, limits: FrameLimits): DecodedFrame {
  const size = rawSize(data);
  if (isBinary) return { kind: 'bad', reason: `binary frame of ${size} bytes (expected JSON text)` };
  if (size > limits.maxFrameBytes) return { kind: 'bad', reason: `frame of ${size} bytes is larger than the ${limits.maxFrameBytes}-byte limit` };
  // The fast path: a plain event frame goes on as bytes, validated by a byte scan instead of JSON.parse.
  // The scanner checks the UTF-8 itself (only when a string held a byte over 0x7f).
  if (limits.passPlainEvents && Buffer.isBuffer(data) && scanPlainEvent(data, limits.scan)) {
    return { kind: 'event', message: new PlainEventFrame(data, limits.scan.idStart, limits.scan.idEnd, limits.scan.members) };
  }
  if (!isUtf8Raw(data)) return { kind: 'bad', reason: `text frame of ${size} bytes is not valid UTF-8` };
  const text = rawText(data);
  const decoded = decodeServerFrame(text);
  if (!decoded.ok) return { kind: 'bad', reason: `${decoded.error}: ${preview(text)}` };
  const frame = decoded.value;
  if (frame.kind === 'event') {
    const event = frame.event;
    const id = typeof event.event_id === 'string' && event.event_id.length > 0 ? event.event_id : undefined;
    return { kind: 'event', message: { kind: 'event', event, raw: text, id } };
  }
  if (frame.kind === 'unknown-control') return { kind: 'bad', reason: `unknown message type '${stripControl(frame.type).slice(0, 40)}' ignored` };
  return { kind: 'control', message: frame.message };
}

function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function isUtf8Raw(data: RawData): boolean {
  if (Array.isArray(data)) return isUtf8(Buffer.concat(data));
  return isUtf8(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : data.toString('utf8');
}

function preview(text: string): string {
  const flat = stripControl(text);
  return flat.length > 60 ? `${flat.slice(0, 60)}...` : flat;
}
