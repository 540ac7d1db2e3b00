import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A network-conditions proxy for tests: real TCP on 127.0.0.1 (port 0) in
 * front of a real server, with conditions that can be switched while
 * connections are open:
 * - `latencyMs`: one-way delay added to every chunk, in each direction;
 * - `resetAfterMs`: every connection is reset (TCP RST on both sides) this
 *   long after it was accepted, like a flaky load balancer;
 * - `bytesPerSecond`: a bandwidth cap per direction and connection;
 * - `paused`: nothing is read or forwarded in either direction, while the
 *   sockets stay open (what a SIGSTOPped peer or a black-holed route looks
 *   like); bytes pile up in the kernel buffers and flow again on resume.
 * Bytes are forwarded in order and unchanged; backpressure is kept (a full
 * outgoing socket stops reading the incoming one).
 */

export interface NetConditions {
  /** Added one-way latency in ms (each direction). */
  latencyMs: number;
  /** Reset each connection this many ms after it was accepted; undefined = never. */
  resetAfterMs: number | undefined;
  /** Bandwidth cap per direction and connection; undefined = unlimited. */
  bytesPerSecond: number | undefined;
  /** Neither read nor forward anything while true. */
  paused: boolean;
}

export interface ProxyStats {
  /** Connections accepted. */
  accepted: number;
  /** Connections reset on purpose (resetAfterMs or resetAll). */
  resets: number;
  /** Bytes read from clients / written to the upstream. */
  clientBytesIn: number;
  upstreamBytesOut: number;
  /** Bytes read from the upstream / written to clients. */
  upstreamBytesIn: number;
  clientBytesOut: number;
}

/** Most bytes one direction holds (delayed) before it stops reading its source. */
const MAX_HELD_BYTES = 1024 * 1024;

interface Chunk {
  readonly data: Buffer;
  readonly dueMs: number;
}

/** One direction of one connection: reads `from`, delays, paces, writes `to`. */
class Pipe {
  private readonly chunks: Chunk[] = [];
  private heldBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Earliest time the bandwidth cap allows the next byte out. */
  private nextFreeMs = 0;
  private blocked = false;
  private readingPaused = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly proxy: NetProxy,
    private readonly countIn: (n: number) => void,
    private readonly countOut: (n: number) => void,
  ) {
    from.on('data', (data: Buffer) => {
      this.countIn(data.length);
      this.chunks.push({ data, dueMs: now() + proxy.conditions.latencyMs });
      this.heldBytes += data.length;
      if (this.heldBytes > MAX_HELD_BYTES) this.pauseReading();
      this.pump();
    });
    to.on('drain', () => {
      this.blocked = false;
      this.pump();
    });
  }

  /** Re-evaluates what can go out now (after a condition change or a timer). */
  pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const { paused, bytesPerSecond } = this.proxy.conditions;
    if (paused) {
      this.from.pause();
      return;
    }
    if (!this.readingPaused && this.from.isPaused()) this.from.resume();
    while (this.chunks.length > 0 && !this.blocked && !this.to.destroyed) {
      const t = now();
      const head = this.chunks[0]!;
      const at = Math.max(head.dueMs, bytesPerSecond !== undefined ? this.nextFreeMs : 0);
      if (at > t) {
        this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(at - t)));
        return;
      }
      let data = head.data;
      if (bytesPerSecond !== undefined) {
        // Send at most ~20 ms worth at a time so the cap is smooth, not bursty.
        const slice = Math.max(1, Math.floor(bytesPerSecond / 50));
        if (data.length > slice) {
          this.chunks[0] = { data: data.subarray(slice), dueMs: head.dueMs };
          data = data.subarray(0, slice);
        } else this.chunks.shift();
        this.nextFreeMs = Math.max(t, this.nextFreeMs) + (data.length / bytesPerSecond) * 1000;
      } else this.chunks.shift();
      this.heldBytes -= data.length;
      this.countOut(data.length);
      if (!this.to.write(data)) this.blocked = true;
    }
    if (this.readingPaused && this.heldBytes <= MAX_HELD_BYTES / 2 && !this.blocked) {
      this.readingPaused = false;
      this.from.resume();
    }
    if (this.blocked && !this.readingPaused) this.pauseReading();
  }

  private pauseReading(): void {
    this.readingPaused = true;
    this.from.pause();
  }

  /** Whether bytes are still waiting in this direction. */
  get pending(): boolean {
    return this.chunks.length > 0;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.chunks.length = 0;
  }
}

interface ProxiedConnection {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly pipes: Pipe[];
  resetTimer: NodeJS.Timeout | undefined;
  acceptedMs: number;
  closed: boolean;
}

function now(): number {
  return performance.now();
}

export class NetProxy {
  conditions: NetConditions;
  readonly stats: ProxyStats = { accepted: 0, resets: 0, clientBytesIn: 0, upstreamBytesOut: 0, upstreamBytesIn: 0, clientBytesOut: 0 };
  port = 0;
  private readonly server: Server;
  private readonly open = new Set<ProxiedConnection>();

  constructor(
    private target: { host: string; port: number },
    conditions: Partial<NetConditions> = {},
  ) {
    this.conditions = { latencyMs: 0, resetAfterMs: undefined, bytesPerSecond: undefined, paused: false, ...conditions };
    this.server = createServer({ noDelay: true }, (client) => this.accept(client));
  }

  /** Listens on 127.0.0.1, port 0. */
  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** `ws://127.0.0.1:PORT/api/ws/events` (or another path) through the proxy. */
  url(path = '/api/ws/events'): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  /** Connections currently proxied. */
  get connectionCount(): number {
    return this.open.size;
  }

  /** Points new connections at another upstream (a restarted server on a new port). */
  retarget(target: { host: string; port: number }): void {
    this.target = target;
  }

  /** Changes conditions; open connections follow at once (a new resetAfterMs counts from each connection's start). */
  set(conditions: Partial<NetConditions>): void {
    this.conditions = { ...this.conditions, ...conditions };
    for (const conn of this.open) {
      this.armReset(conn);
      for (const pipe of conn.pipes) pipe.pump();
    }
  }

  pause(): void {
    this.set({ paused: true });
  }

  resume(): void {
    this.set({ paused: false });
  }

  /** Resets every open connection now (TCP RST both ways). */
  resetAll(): void {
    for (const conn of [...this.open]) this.reset(conn);
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const conn of [...this.open]) this.destroy(conn);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.stats.accepted++;
    client.setNoDelay(true);
    const upstream = createConnection({ host: this.target.host, port: this.target.port, noDelay: true });
    const conn: ProxiedConnection = { client, upstream, pipes: [], resetTimer: undefined, acceptedMs: now(), closed: false };
    this.open.add(conn);
    const s = this.stats;
    conn.pipes.push(
      new Pipe(client, upstream, this, (n) => (s.clientBytesIn += n), (n) => (s.upstreamBytesOut += n)),
      new Pipe(upstream, client, this, (n) => (s.upstreamBytesIn += n), (n) => (s.clientBytesOut += n)),
    );
    for (const pipe of conn.pipes) pipe.pump();
    // A close on one side is forwarded once the bytes already on their way have gone out.
    const forwardEnd = (from: Socket, to: Socket, pipe: Pipe) => {
      from.on('end', () => {
        const finish = () => (pipe.pending ? setTimeout(finish, 5) : to.end());
        finish();
      });
    };
    forwardEnd(client, upstream, conn.pipes[0]!);
    forwardEnd(upstream, client, conn.pipes[1]!);
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.destroy(conn));
      socket.on('close', () => {
        // A side that closed for good takes the other with it (once its bytes are out).
        const other = socket === client ? upstream : client;
        const pipe = socket === client ? conn.pipes[0]! : conn.pipes[1]!;
        const finish = () => (pipe.pending && !other.destroyed ? setTimeout(finish, 5) : this.destroy(conn));
        finish();
      });
    }
    this.armReset(conn);
  }

  private armReset(conn: ProxiedConnection): void {
    if (conn.resetTimer) clearTimeout(conn.resetTimer);
    conn.resetTimer = undefined;
    const after = this.conditions.resetAfterMs;
    if (after === undefined || conn.closed) return;
    const remaining = Math.max(0, conn.acceptedMs + after - now());
    conn.resetTimer = setTimeout(() => this.reset(conn), remaining);
  }

  private reset(conn: ProxiedConnection): void {
    if (conn.closed) return;
    this.stats.resets++;
    for (const socket of [conn.client, conn.upstream]) {
      if (socket.destroyed) continue;
      try {
        socket.resetAndDestroy();
      } catch {
        socket.destroy();
      }
    }
    this.destroy(conn);
  }

  private destroy(conn: ProxiedConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.open.delete(conn);
    if (conn.resetTimer) clearTimeout(conn.resetTimer);
    for (const pipe of conn.pipes) pipe.stop();
    conn.client.destroy();
    conn.upstream.destroy();
  }
}

/** Starts a proxy on 127.0.0.1:0 in front of `target` (a port on 127.0.0.1, or host and port). */
export function startNetProxy(target: number | { host: string; port: number }, conditions: Partial<NetConditions> = {}): Promise<NetProxy> {
  const t = typeof target === 'number' ? { host: '127.0.0.1', port: target } : target;
  return new NetProxy(t, conditions).listen();
}
