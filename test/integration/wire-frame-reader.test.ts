import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { readTextFramesInPlace } from '../../src/wire/frame-reader.js';

/**
 * A raw WebSocket server on loopback: it answers the handshake, then writes
 * `script` (frames built by hand) in the given pieces, one write each, so
 * frames and headers are split across the client's chunks, and records what
 * the client sends back (pongs, the close reply).
 */
interface RawServer {
  readonly url: string;
  /** Frames the client sent, unmasked: [opcode, payload]. */
  readonly fromClient: Array<[number, Buffer]>;
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function frame(opcode: number, payload: Buffer | string, fin = true, rsv = 0, mask = false): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = body.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = (fin ? 0x80 : 0) | rsv | opcode;
  if (length < 126) header[1] = length;
  else if (length < 65536) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 127;
    header.writeUInt32BE(0, 2);
    header.writeUInt32BE(length, 6);
  }
  if (!mask) return Buffer.concat([header, body]);
  header[1]! |= 0x80;
  const key = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([header, key, Buffer.from(body.map((b, i) => b ^ key[i % 4]!))]);
}

async function rawServer(script: Buffer, pieces: (total: number) => number[]): Promise<RawServer> {
  const fromClient: Array<[number, Buffer]> = [];
  const server = createServer((socket: Socket) => {
    let buffered = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!upgraded) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const key = /sec-websocket-key: *(\S+)/i.exec(buffered.subarray(0, end).toString())![1]!;
        buffered = buffered.subarray(end + 4);
        upgraded = true;
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        void (async () => {
          let at = 0;
          for (const size of pieces(script.length)) {
            if (socket.destroyed) return;
            socket.write(script.subarray(at, at + size));
            at += size;
            await new Promise((resolve) => setImmediate(resolve));
          }
        })();
      }
      // Client frames are masked: 2-byte header (+ extended length), 4-byte key, payload.
      for (;;) {
        if (buffered.length < 2) return;
        let length = buffered[1]! & 0x7f;
        let at = 2;
        if (length === 126) {
          if (buffered.length < 4) return;
          length = buffered.readUInt16BE(2);
          at = 4;
        }
        if (buffered.length < at + 4 + length) return;
        const key = buffered.subarray(at, at + 4);
        const payload = Buffer.from(buffered.subarray(at + 4, at + 4 + length).map((b, i) => b ^ key[i % 4]!));
        fromClient.push([buffered[0]! & 0x0f, payload]);
        if ((buffered[0]! & 0x0f) === 0x08) socket.end(); // the close handshake is done: the server closes TCP
        buffered = buffered.subarray(at + 4 + length);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/`, fromClient, close: async () => {} };
}

/** Everything the client saw, in order: text frames (tapped or not), binary messages, pings, the close. */
async function clientRun(url: string, tap: boolean): Promise<{ seen: string[]; tapped: number; tapInstalled: boolean }> {
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, maxPayload: 1024 * 1024 });
  const seen: string[] = [];
  let tapped = 0;
  let tapInstalled = false;
  ws.on('open', () => {
    if (tap) {
      tapInstalled = readTextFramesInPlace(ws, (payload) => {
        tapped++;
        seen.push(`text ${payload.length} ${createHash('sha1').update(payload).digest('hex').slice(0, 12)}`);
      });
    }
  });
  ws.on('message', (data, isBinary) => {
    const bytes = data as Buffer;
    seen.push(`${isBinary ? 'binary' : 'text'} ${bytes.length} ${createHash('sha1').update(bytes).digest('hex').slice(0, 12)}`);
  });
  ws.on('ping', (data) => seen.push(`ping ${data.toString()}`));
  ws.on('error', (error) => seen.push(`error ${error.message}`));
  const code = await new Promise<number>((resolve) => ws.on('close', (closeCode) => resolve(closeCode)));
  seen.push(`close ${code}`);
  return { seen, tapped, tapInstalled };
}

function seeded(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

const text = (n: number, c = 'x') => c.repeat(n);

/** A stream with every kind of frame: texts of each length class, pings, a fragmented message around a ping, binary, then close. */
function mixedScript(): Buffer {
  const random = seeded(24);
  const parts: Buffer[] = [];
  for (let i = 0; i < 300; i++) parts.push(frame(1, `{"event_type":"E","n":${i},"pad":"${text(Math.floor(random() * 400))}"}`));
  parts.push(frame(1, ''), frame(1, text(125)), frame(1, text(126)), frame(1, text(65535, 'y')), frame(1, text(65536, 'z')), frame(1, text(300_000, 'w')));
  parts.push(frame(9, 'p1'));
  for (let i = 0; i < 50; i++) parts.push(frame(1, `{"n":${i}}`));
  parts.push(frame(1, '{"frag', false), frame(9, 'p2'), frame(0, 'mented":', false), frame(0, '1}', true));
  parts.push(frame(2, Buffer.from([0, 1, 2, 255])));
  for (let i = 0; i < 50; i++) parts.push(frame(1, `{"after":${i},"é":"ü"}`));
  parts.push(frame(8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('done')])));
  return Buffer.concat(parts);
}

describe('readTextFramesInPlace', () => {
  it('hands on the same messages in the same order as ws, whatever the chunking, with control frames and fragments left to ws', async () => {
    const script = mixedScript();
    const chunkings: Array<(total: number) => number[]> = [
      (total) => [total],
      // Headers and frames cut at every place: 7 bytes at a time through the first 21 KB.
      (total) => [...Array.from({ length: 3000 }, () => 7), total - 21_000],
      (total) => {
        const random = seeded(5);
        const sizes: number[] = [];
        for (let sum = 0; sum < total; ) {
          const size = 1 + Math.floor(random() * 3000);
          sizes.push(size);
          sum += size;
        }
        return sizes;
      },
    ];
    for (const pieces of chunkings) {
      const plain = await clientRun((await rawServer(script, pieces)).url, false);
      const tappedServer = await rawServer(script, pieces);
      const tapped = await clientRun(tappedServer.url, true);
      expect(tapped.tapInstalled).toBe(true);
      expect(tapped.seen).toEqual(plain.seen);
      expect(tapped.seen.at(-1)).toBe('close 1000');
      // Most text frames were read in place; the fragmented one came from ws.
      expect(tapped.tapped).toBeGreaterThan(300);
      // ws still answered both pings and the close.
      expect(tappedServer.fromClient.filter(([op]) => op === 0x0a).map(([, p]) => p.toString())).toEqual(['p1', 'p2']);
      expect(tappedServer.fromClient.some(([op]) => op === 0x08)).toBe(true);
    }
  });

  it('leaves masked, compressed-flagged and oversized frames to ws, which refuses them as before', async () => {
    for (const bad of [frame(1, 'masked', true, 0, true), frame(1, 'rsv1', true, 0x40), frame(1, text(2 * 1024 * 1024))]) {
      const script = Buffer.concat([frame(1, '{"first":1}'), bad, frame(1, '{"never":1}')]);
      const plain = await clientRun((await rawServer(script, (total) => [total])).url, false);
      const tapped = await clientRun((await rawServer(script, (total) => [total])).url, true);
      expect(tapped.seen).toEqual(plain.seen);
      expect(tapped.seen[0]).toMatch(/^text 11 /);
      expect(tapped.seen.some((line) => line.startsWith('error '))).toBe(true);
    }
  });
});
