import { request } from 'node:http';
import WebSocket from 'ws';
import { createRealClockIO, type RealClockTestIO } from '../helpers/test-io.js';
import { DEFAULT_SERVER_OPTIONS, startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';

/** A test IO on the real clock (the server's timers run by themselves): see createRealClockIO. */
export const realClockIO = (): RealClockTestIO => createRealClockIO();

const servers = new Set<RunningServer>();
const clients = new Set<WebSocket>();

/** Starts an in-process server on 127.0.0.1, port 0. */
export async function startTestServer(overrides: Partial<ServerOptions> = {}, io: RealClockTestIO = realClockIO()): Promise<RunningServer> {
  const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0, ...overrides }, io);
  servers.add(server);
  return server;
}

/** Closes every server and client opened by these helpers (call in afterEach). */
export async function closeAll(): Promise<void> {
  for (const client of clients) client.terminate();
  clients.clear();
  await Promise.all([...servers].map((s) => s.close()));
  servers.clear();
}

/** A frame as the test client saw it. */
export type Frame = Record<string, unknown>;

/** A WebSocket client that records every frame and lets a test wait for one. */
export class TestClient {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<number>;
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    clients.add(ws);
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? { binary: true } : (JSON.parse(data.toString()) as Frame));
      this.notify();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.notify();
        resolve(code);
      }),
    );
  }

  /** Events received (frames with event_type). */
  events(): Frame[] {
    return this.frames.filter((f) => 'event_type' in f);
  }

  controls(type?: string): Frame[] {
    return this.frames.filter((f) => 'type' in f && (type === undefined || f.type === type));
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** Resolves once `predicate` holds (checked after every frame and on close). */
  waitUntil(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate()) {
          cleanup();
          resolve();
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; ${this.frames.length} frames so far, the last: ${JSON.stringify(this.frames.slice(-3)).slice(0, 600)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      const waiter = () => void check();
      if (!check()) this.waiters.push(waiter);
    });
  }

  /** Waits for the nth (1-based) frame matching `predicate` and returns it. */
  async next(predicate: (frame: Frame) => boolean, what: string, count = 1): Promise<Frame> {
    await this.waitUntil(() => this.frames.filter(predicate).length >= count, what);
    return this.frames.filter(predicate)[count - 1]!;
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Opens a client and resolves once the handshake is done. */
export async function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  const ws = new WebSocket(url, options);
  const client = new TestClient(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return client;
}

/** Attempts a handshake and resolves with the HTTP status and JSON body of the refusal (or 101). */
export function handshakeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('error', () => {});
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
  });
}

/** A plain HTTP request to the server (node:http, so tests can send any Host or Origin). */
export function httpRequest(
  server: RunningServer,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: Record<string, unknown>;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = { raw: text };
        }
        resolve({ status: res.statusCode ?? 0, json, headers: res.headers });
      });
    });
    // The server may answer (413) and close before the whole body is sent.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    req.end(init.body);
  });
}

/** A numbered test event. */
export function testEvent(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> & { event_type: string } {
  return { event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', tool_name: 'add', seq: n, ...extra };
}

export { eventually } from '../helpers/eventually.js';
