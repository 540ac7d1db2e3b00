/**
 * Network helpers of the hostile suite: an in-process serve on 127.0.0.1
 * port 0, recording WebSocket clients, /health, a raw HTTP request that can
 * send any header, and the knobs that turn a CI-sized test into its long
 * `npm run stress` version (HOSTILE_STRESS=1) and record its figures.
 */
import { appendFileSync } from 'node:fs';
import { request } from 'node:http';
import WebSocket from 'ws';
import { DEFAULT_SERVER_OPTIONS, startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { createRealClockIO, type RealClockTestIO } from './test-io.js';

/** True under `npm run stress` (bench/stress.js sets HOSTILE_STRESS=1). */
export const STRESS = process.env.HOSTILE_STRESS === '1';

/** The CI size, or the long size under `npm run stress`. */
export function scaled(ci: number, stress: number): number {
  return STRESS ? stress : ci;
}

/** Appends one test's figures (inputs tried, faults survived, events lost...) for bench/stress.js to print. */
export function recordFigures(test: string, figures: Record<string, number | string | boolean>): void {
  const file = process.env.HOSTILE_FIGURES;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ test, ...figures })}\n`);
}

/** A test IO on the real clock (the server's timers run by themselves): see createRealClockIO. */
export const realClockIO = (): RealClockTestIO => createRealClockIO();

const servers = new Set<RunningServer>();
const sockets = new Set<WebSocket>();

/** Starts serve in this process on 127.0.0.1, port 0. */
export async function startHostileServer(overrides: Partial<ServerOptions> = {}, io: RealClockTestIO = realClockIO()): Promise<RunningServer> {
  const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, host: '127.0.0.1', port: 0, ...overrides }, io);
  servers.add(server);
  return server;
}

/** Closes every server and socket opened by these helpers (afterEach). */
export async function closeHostile(): Promise<void> {
  for (const ws of sockets) ws.terminate();
  sockets.clear();
  await Promise.all([...servers].map((s) => s.close()));
  servers.clear();
}

export type Frame = Record<string, unknown>;

/** A client that records what it receives and can wait for a condition. */
export class RecordingClient {
  readonly frames: Frame[] = [];
  readonly events: Frame[] = [];
  /** Frames that were not JSON objects (should never happen from serve). */
  readonly oddFrames: string[] = [];
  /** Events received (also counted when `controlsOnly` keeps them out of `frames`/`events`). */
  eventCount = 0;
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  private waiters = new Set<() => void>();

  /** `controlsOnly`: keep control frames only (a hostile connection may be sent a lot of history). */
  constructor(
    readonly ws: WebSocket,
    private readonly controlsOnly = false,
  ) {
    sockets.add(ws);
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      let frame: unknown;
      try {
        frame = JSON.parse(text);
      } catch {
        frame = undefined;
      }
      if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) this.oddFrames.push(text.slice(0, 200));
      else if ('event_type' in frame) {
        this.eventCount++;
        if (!this.controlsOnly) {
          this.frames.push(frame as Frame);
          this.events.push(frame as Frame);
        }
      } else this.frames.push(frame as Frame);
      this.notify();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        sockets.delete(ws);
        this.notify();
        resolve(code);
      }),
    );
  }

  controls(type: string, code?: string): Frame[] {
    return this.frames.filter((f) => f.type === type && (code === undefined || f.code === code));
  }

  send(value: unknown, options: { binary?: boolean } = {}): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value), { binary: options.binary ?? false });
  }

  /** Resolves once `predicate` holds (checked on every frame and on close). */
  waitUntil(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; ${this.frames.length} frames, close ${this.closeCode}, last: ${JSON.stringify(this.frames.slice(-3)).slice(0, 400)}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Opens a client and resolves once open (rejects with the HTTP status of a refusal). */
export function connectClient(url: string, options: WebSocket.ClientOptions = {}, controlsOnly = false): Promise<RecordingClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  const client = new RecordingClient(ws, controlsOnly);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      reject(Object.assign(new Error(`handshake refused with ${res.statusCode}`), { status: res.statusCode }));
    });
    ws.once('error', reject);
  });
}

/** A subscribed client: connects, subscribes, waits for the ack. */
export async function subscribedClient(url: string, subscribe: Record<string, unknown>): Promise<RecordingClient> {
  const client = await connectClient(url);
  client.send({ type: 'subscribe', ...subscribe });
  await client.waitUntil(() => client.controls('subscribed').length >= 1, 'the subscribe ack');
  return client;
}

export interface HttpResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw HTTP request to 127.0.0.1:port with any headers (Host and Origin included). */
export function httpRequest(port: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, setHost: !(init.headers && 'Host' in init.headers) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may answer (413) and close before the whole body is sent.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') return;
      reject(error);
    });
    req.end(init.body);
  });
}

/** GET /health as JSON. */
export async function health(port: number): Promise<Record<string, number | string>> {
  const res = await httpRequest(port, '/health');
  if (res.status !== 200) throw new Error(`/health answered ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as Record<string, number | string>;
}

export { eventually } from './eventually.js';
