// A minimal WebSocket client on a bare TCP socket: handshake, one masked
// `subscribe` frame, then a frame parser that only counts. It exists so that
// the load-generating side (hundreds or thousands of subscribers in one
// process) is far cheaper than the server under test. Control frames
// (`{"type":...}`: subscribed, warning, ping, replayed, error) are parsed;
// event frames are only counted, or scanned for `"sent_at_ns":` when
// measuring latency.
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const CONTROL_PREFIX = Buffer.from('{"type":');
const SENT_AT = Buffer.from('"sent_at_ns":');

/** A masked client text frame (mask key 0: payload bytes stay as they are, which RFC 6455 permits). */
export function clientTextFrame(text) {
  const payload = Buffer.from(text);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len, 0, 0, 0, 0]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff, 0, 0, 0, 0]);
  return Buffer.concat([head, payload]);
}

function isControl(buf, start, end) {
  if (end - start < CONTROL_PREFIX.length) return false;
  for (let i = 0; i < CONTROL_PREFIX.length; i++) if (buf[start + i] !== CONTROL_PREFIX[i]) return false;
  return true;
}

/** The number after `"sent_at_ns":` in buf[start, end), or -1. */
function readSentAt(buf, start, end) {
  const at = buf.indexOf(SENT_AT, start);
  if (at < 0 || at >= end) return -1;
  let n = 0;
  for (let i = at + SENT_AT.length; i < end; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

export class RawWsClient {
  /**
   * @param {{host: string, port: number, path: string, subscribe?: string, onLatency?: (ns: number) => void,
   *          onControl?: (client: RawWsClient, message: any) => void}} options
   */
  constructor(options) {
    this.options = options;
    this.events = 0;
    this.bytes = 0;
    this.controls = 0;
    this.warnings = 0;
    this.dropped = 0; // sum of `dropped` over warnings
    this.totalDropped = 0; // last `total_dropped` seen
    this.subscribed = false;
    this.closed = false;
    this.closeCode = undefined;
    this.latency = typeof options.onLatency === 'function'; // scan events for sent_at_ns
    this.handshakeDone = false;
    this.head = null; // partial handshake or frame header bytes
    this.remaining = 0; // payload bytes left in the current frame
    this.frameOpcode = 0;
    this.pieces = null; // payload pieces of a frame split across chunks
  }

  /** Connects, sends the subscribe, resolves once the `subscribed` ack arrived. */
  connect() {
    const { host, port, path } = this.options;
    return new Promise((resolve, reject) => {
      this.onSubscribed = resolve;
      const socket = net.connect({ host, port });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('error', (error) => {
        if (!this.subscribed) reject(error);
      });
      socket.on('close', () => {
        this.closed = true;
        if (!this.subscribed) reject(new Error('closed before subscribed'));
      });
      socket.on('connect', () => {
        const key = randomBytes(16).toString('base64');
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
        socket.write(clientTextFrame(this.options.subscribe ?? '{"type":"subscribe"}'));
      });
      socket.on('data', (chunk) => this.onData(chunk));
    });
  }

  onData(chunk) {
    if (!this.handshakeDone) {
      const buf = this.head ? Buffer.concat([this.head, chunk]) : chunk;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.head = buf;
        return;
      }
      const status = buf.subarray(0, buf.indexOf('\r\n')).toString();
      if (!/^HTTP\/1\.1 101/.test(status)) {
        this.socket.destroy(new Error(`handshake refused: ${status}`));
        return;
      }
      this.handshakeDone = true;
      this.head = null;
      chunk = buf.subarray(end + 4);
      if (chunk.length === 0) return;
    }
    this.bytes += chunk.length;
    const now = this.latency ? Number(process.hrtime.bigint()) : 0;
    let buf = chunk;
    let pos = 0;
    if (this.head) {
      buf = Buffer.concat([this.head, chunk]);
      this.head = null;
    }
    const len = buf.length;
    while (pos < len) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, len - pos);
        if (this.pieces) this.pieces.push(buf.subarray(pos, pos + take));
        this.remaining -= take;
        pos += take;
        if (this.remaining === 0 && this.pieces) {
          const payload = Buffer.concat(this.pieces);
          this.pieces = null;
          this.onFrame(this.frameOpcode, payload, 0, payload.length, now);
        }
        continue;
      }
      // Frame header: 2 bytes, + 2 or 8 bytes of extended length (servers do not mask).
      if (len - pos < 2) {
        this.head = buf.subarray(pos);
        return;
      }
      const b1 = buf[pos + 1] & 0x7f;
      const headLen = b1 < 126 ? 2 : b1 === 126 ? 4 : 10;
      if (len - pos < headLen) {
        this.head = buf.subarray(pos);
        return;
      }
      const opcode = buf[pos] & 0x0f;
      let payloadLen = b1;
      if (b1 === 126) payloadLen = buf.readUInt16BE(pos + 2);
      else if (b1 === 127) payloadLen = Number(buf.readBigUInt64BE(pos + 2));
      pos += headLen;
      if (len - pos >= payloadLen) {
        this.onFrame(opcode, buf, pos, pos + payloadLen, now);
        pos += payloadLen;
      } else {
        this.frameOpcode = opcode;
        this.remaining = payloadLen - (len - pos);
        this.pieces = [buf.subarray(pos)];
        pos = len;
      }
    }
  }

  onFrame(opcode, buf, start, end, now) {
    if (opcode === 0x8) {
      this.closeCode = end - start >= 2 ? buf.readUInt16BE(start) : 1005;
      this.socket.destroy();
      return;
    }
    if (opcode !== 0x1 && opcode !== 0x0) return; // ping/pong control frames: ignored
    if (isControl(buf, start, end)) {
      this.controls++;
      const message = JSON.parse(buf.toString('utf8', start, end));
      if (message.type === 'subscribed' && !this.subscribed) {
        this.subscribed = true;
        this.onSubscribed();
      } else if (message.type === 'warning') {
        this.warnings++;
        this.dropped += message.dropped ?? 0;
        this.totalDropped = message.total_dropped ?? this.totalDropped;
      } else if (message.type === 'ping') {
        this.send('{"type":"pong"}');
      }
      this.options.onControl?.(this, message);
      return;
    }
    this.events++;
    if (this.latency) {
      const sent = readSentAt(buf, start, end);
      if (sent > 0) this.options.onLatency(now - sent);
    }
  }

  send(text) {
    if (!this.socket.destroyed) this.socket.write(clientTextFrame(text));
  }

  /** Stops reading: the kernel buffers fill and the server sees a stalled consumer. */
  pause() {
    this.socket.pause();
  }

  resume() {
    this.socket.resume();
  }

  close() {
    this.socket.destroy();
  }
}
