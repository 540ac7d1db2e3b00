import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { matchesGatewaySubscription, type SubscriptionFilter } from '../../src/protocol/filter.js';
import type { HangarEvent } from '../../src/protocol/types.js';

/**
 * A test server that behaves like a REAL MCP Hangar gateway on the wire
 * (PROTOCOL.md Part 1), quirks included:
 * - only the first `subscribe` is acknowledged;
 * - a connection is attached to the bus only after its first message or after
 *   the blind window (5 s by default), so events published before are lost to it;
 * - after `pingIntervalMs` without an event it sends `{"type": "ping"}` and
 *   closes with 1000 when no pong comes within `pongTimeoutMs`;
 * - missing or wrong credentials get HTTP 403 at the handshake (or 401, or an
 *   accept-then-close 1008, by option);
 * - JSON is serialised like Python's json.dumps (spaces after `:` and `,`,
 *   non-ASCII escaped); events carry `occurred_at` floats or ISO `timestamp`
 *   strings as published, and may lack any server id;
 * - a queue of 1024 per connection that drops the oldest event silently (no
 *   warning frame), and no history at all.
 */

export interface FakeGatewayOptions {
  /** Require this key in X-API-Key (or as a Bearer token, or ?token=). */
  apiKey?: string;
  /** The header the key is read from instead of X-API-Key (a gateway's setting); lower case. */
  apiKeyHeader?: string;
  /** How a refused credential is answered. */
  authFailure?: 'http-403' | 'http-401' | 'close-1008';
  /** Blind window before the first message (default 5000 ms, as the gateway). */
  blindWindowMs?: number;
  /** Idle time before an application ping (default 55 s). */
  pingIntervalMs?: number;
  /** Time allowed for the pong (default 10 s). */
  pongTimeoutMs?: number;
  /** Per-connection queue (default 1024, drop oldest). */
  queueLimit?: number;
  /** Bytes allowed in the socket's send buffer before the queue holds events back. */
  sendBufferBytes?: number;
  /** Listen on this port (to restart on the same port); default 0. */
  port?: number;
  /**
   * The fleet GET /api/mcp_servers lists (same credentials as the stream, as a
   * gateway checks them; `?state=` filters). Without it the endpoint is 404.
   */
  mcpServers?: readonly Record<string, unknown>[];
  /** The approvals REST API (PROTOCOL.md Part 5); without it the routes are 404. */
  approvals?: FakeApprovals;
}

/** A principal of the approvals API: who a key is, what it may do, its tenant. */
export interface FakePrincipal {
  readonly id: string;
  /** `approval:read`, `approval:resolve` (what the key's roles grant). */
  readonly permissions: readonly string[];
  readonly tenant?: string;
}

export interface FakeApprovals {
  /** The records, in the gateway's shape; resolves change them in place. */
  readonly records: Record<string, unknown>[];
  /** false: no approval gate configured: every approvals route answers 503. */
  readonly gate?: boolean;
  /**
   * Keys of the approvals API. Without any, the API is open (auth off) and
   * decisions are recorded as the system principal; `apiKey` (when set)
   * is a key with every permission.
   */
  readonly principals?: Readonly<Record<string, FakePrincipal>>;
  /** IDs whose resolve fails with 409 "Failed to resolve approval" (the gateway's race). */
  readonly failResolve?: readonly string[];
  /** Publish ToolApprovalGranted/Denied on the stream when one is resolved (default true). */
  readonly publishDecisions?: boolean;
}

export interface GatewayConnection {
  readonly ws: WebSocket;
  readonly headers: IncomingMessage['headers'];
  /** Every text frame the client sent, in order. */
  readonly received: string[];
  /** Frames the gateway sent (events and control), in order. */
  readonly sent: string[];
  filter: SubscriptionFilter;
  attached: boolean;
  acked: boolean;
  pings: number;
  pongs: number;
  delivered: number;
  dropped: number;
  closedWith: number | undefined;
}

/** Serialises like Python's `json.dumps` with default separators and ensure_ascii. */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'NaN';
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
  }
  return 'null';
}

export class FakeGateway {
  readonly connections: GatewayConnection[] = [];
  /** Handshakes refused for bad credentials. */
  authRefusals = 0;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  /** Every GET /api/mcp_servers, with its headers and whether a client's subscribe had been acknowledged by then. */
  readonly snapshotRequests: { headers: IncomingMessage['headers']; subscribedBefore: boolean }[] = [];
  private readonly waiters: (() => void)[] = [];
  port = 0;

  constructor(readonly options: FakeGatewayOptions = {}) {
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    this.http = createServer((req, res) => {
      const [path, query] = (req.url ?? '').split('?');
      const servers = this.options.mcpServers;
      if (path === '/api/mcp_servers' && req.method === 'GET' && servers !== undefined) {
        this.snapshotRequests.push({ headers: req.headers, subscribedBefore: this.connections.some((c) => c.acked) });
        const key = this.options.apiKey;
        const given = req.headers[this.options.apiKeyHeader ?? 'x-api-key'] ?? bearerOf(req.headers.authorization);
        if (key !== undefined && given !== key) {
          res.writeHead(403, { 'content-type': 'application/json' }).end(pythonJson({ detail: 'Forbidden' }));
          return;
        }
        const state = new URLSearchParams(query ?? '').get('state');
        const listed = servers.filter((s) => state === null || s.state === state);
        res.writeHead(200, { 'content-type': 'application/json' }).end(pythonJson({ mcp_servers: listed }));
        return;
      }
      if (path?.startsWith('/api/approvals') && this.options.approvals !== undefined) {
        this.onApprovals(req, path, query ?? '', res);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
    this.http.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket as Socket, head));
  }

  /** Every request to the approvals API: method, path with query, JSON body, headers. */
  readonly approvalRequests: { method: string; url: string; body: unknown; headers: IncomingMessage['headers'] }[] = [];

  /** The approvals API as a gateway answers it: auth, permissions, tenants, states, errors (PROTOCOL.md Part 5). */
  private onApprovals(req: IncomingMessage, path: string, query: string, res: ServerResponse): void {
    const approvals = this.options.approvals!;
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(pythonJson(body));
      this.notify();
    };
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      this.approvalRequests.push({ method: req.method ?? '', url: `${path}${query ? `?${query}` : ''}`, body, headers: req.headers });
      // Authentication, then authorization, as the gateway's middleware does before the route.
      const principals: Record<string, FakePrincipal> = { ...(approvals.principals ?? {}) };
      if (this.options.apiKey !== undefined) principals[this.options.apiKey] = { id: 'key:admin', permissions: ['approval:read', 'approval:resolve'] };
      let principal: FakePrincipal | undefined = { id: 'system', permissions: ['approval:read', 'approval:resolve'] };
      if (Object.keys(principals).length > 0) {
        const given = req.headers[this.options.apiKeyHeader ?? 'x-api-key'] ?? bearerOf(req.headers.authorization);
        principal = typeof given === 'string' ? principals[given] : undefined;
        if (principal === undefined) return answer(401, { error: 'authentication_failed', message: 'Invalid or missing credentials' });
      }
      const segments = path.slice('/api/approvals'.length).split('/').filter((s) => s.length > 0).map(decodeURIComponent);
      const resolving = req.method === 'POST' && segments.length === 2 && segments[1] === 'resolve';
      const reading = req.method === 'GET' && segments.length <= 1;
      if (!resolving && !reading) return answer(405, { detail: 'Method Not Allowed' });
      const action = resolving ? 'resolve' : 'read';
      if (!principal.permissions.includes(`approval:${action}`)) {
        return answer(403, { error: { code: 'AccessDeniedError', message: `Access denied: ${principal.id} cannot ${action} on approval:* (no_matching_permission)`, details: {} } });
      }
      if (approvals.gate === false) return answer(503, { error: 'approval gate is not configured on this gateway' });
      const visible = (r: Record<string, unknown>) => r.tenant_id === undefined || r.tenant_id === null || r.tenant_id === principal!.tenant;
      if (reading && segments.length === 0) {
        const params = new URLSearchParams(query);
        const state = params.get('state') ?? 'pending';
        if (!['pending', 'approved', 'denied', 'expired'].includes(state)) return answer(400, { error: `Invalid state: ${state}` });
        const server = params.get('provider_id');
        const listed = approvals.records.filter((r) => visible(r) && r.state === state && (server === null || r.provider_id === server));
        // Newest first, as the gateway lists them.
        return answer(200, [...listed].sort((a, b) => String(b.requested_at).localeCompare(String(a.requested_at))));
      }
      const record = approvals.records.find((r) => r.approval_id === segments[0] && visible(r));
      if (record === undefined) return answer(404, { error: 'Approval not found' });
      if (reading) return answer(200, record);
      const decision = (body as { decision?: unknown } | undefined)?.decision;
      if (decision !== 'approve' && decision !== 'deny') return answer(400, { error: "decision must be 'approve' or 'deny'" });
      if (approvals.failResolve?.includes(segments[0]!)) return answer(409, { error: 'Failed to resolve approval' });
      if (record.state === 'expired' || (record.state === 'pending' && Date.parse(String(record.expires_at)) <= Date.now())) {
        record.state = 'expired';
        return answer(409, { error: 'Approval expired', state: 'expired' });
      }
      if (record.state !== 'pending') return answer(409, { error: 'Approval already resolved', state: record.state });
      const reason = (body as { reason?: unknown }).reason;
      record.state = decision === 'approve' ? 'approved' : 'denied';
      record.decided_by = principal.id;
      record.decided_at = new Date().toISOString();
      if (typeof reason === 'string') record.reason = reason;
      if (approvals.publishDecisions !== false) {
        const decided = { approval_id: record.approval_id, decided_by: principal.id, decided_at: record.decided_at };
        this.publish(gatewayEvent(decision === 'approve' ? 'ToolApprovalGranted' : 'ToolApprovalDenied', decision === 'approve' ? decided : { ...decided, reason: reason ?? null }));
      }
      return answer(200, { approval_id: record.approval_id, state: record.state });
    });
  }

  /** Starts listening on 127.0.0.1. */
  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/api/ws/events`;
  }

  /** Connections currently open. */
  get open(): GatewayConnection[] {
    return this.connections.filter((c) => c.closedWith === undefined);
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/api/ws/events') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const key = this.options.apiKey;
    const token = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('token') ?? undefined;
    const given = req.headers[this.options.apiKeyHeader ?? 'x-api-key'] ?? bearerOf(req.headers.authorization) ?? token;
    const refused = key !== undefined && given !== key;
    if (refused && this.options.authFailure !== 'close-1008') {
      this.authRefusals++;
      const status = this.options.authFailure === 'http-401' ? '401 Unauthorized' : '403 Forbidden';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (refused) {
        this.authRefusals++;
        ws.close(1008, 'Authentication required');
        return;
      }
      this.onConnection(ws, req);
    });
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const conn: GatewayConnection & { queue: string[]; idle?: NodeJS.Timeout; pongWait?: NodeJS.Timeout; blind?: NodeJS.Timeout; sending: boolean } = {
      ws,
      headers: req.headers,
      received: [],
      sent: [],
      filter: {},
      attached: false,
      acked: false,
      pings: 0,
      pongs: 0,
      delivered: 0,
      dropped: 0,
      closedWith: undefined,
      queue: [],
      sending: false,
    };
    this.connections.push(conn);
    const pingIntervalMs = this.options.pingIntervalMs ?? 55_000;
    const pongTimeoutMs = this.options.pongTimeoutMs ?? 10_000;
    const armIdle = () => {
      if (conn.idle) clearTimeout(conn.idle);
      conn.idle = setTimeout(() => {
        if (ws.readyState !== ws.OPEN) return;
        conn.pings++;
        conn.sent.push('{"type": "ping"}');
        ws.send('{"type": "ping"}');
        conn.pongWait = setTimeout(() => ws.close(1000), pongTimeoutMs);
      }, pingIntervalMs);
    };
    conn.blind = setTimeout(() => {
      conn.attached = true;
      armIdle();
      this.notify();
    }, this.options.blindWindowMs ?? 5000);
    (conn as unknown as { armIdle: () => void }).armIdle = armIdle;
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      conn.received.push(text);
      let message: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) message = parsed as Record<string, unknown>;
      } catch {
        message = undefined;
      }
      const first = !conn.attached;
      if (first) {
        clearTimeout(conn.blind);
        conn.attached = true;
        armIdle();
      }
      if (message) {
        const isSubscribe = message.type === 'subscribe' || (message.type === undefined && ('event_types' in message || 'mcp_server_ids' in message));
        if (message.type === 'pong') {
          conn.pongs++;
          if (conn.pongWait) clearTimeout(conn.pongWait);
          conn.pongWait = undefined;
          armIdle();
        } else if (isSubscribe) {
          conn.filter = {
            eventTypes: Array.isArray(message.event_types) ? (message.event_types as string[]) : undefined,
            serverIds: Array.isArray(message.mcp_server_ids) ? (message.mcp_server_ids as string[]) : undefined,
          };
          if (first) {
            conn.acked = true;
            const ack = pythonJson({ type: 'subscribed', event_types: conn.filter.eventTypes ?? [], mcp_server_ids: conn.filter.serverIds ?? [] });
            conn.sent.push(ack);
            ws.send(ack);
          }
        }
      }
      this.notify();
    });
    ws.on('close', (code) => {
      conn.closedWith = code;
      if (conn.idle) clearTimeout(conn.idle);
      if (conn.pongWait) clearTimeout(conn.pongWait);
      if (conn.blind) clearTimeout(conn.blind);
      this.notify();
    });
    ws.on('error', () => {});
    this.notify();
  }

  /** Publishes an event to every attached connection whose filter matches (python-style JSON). */
  publish(event: HangarEvent): void {
    this.publishRaw(pythonJson(event), event);
  }

  /** Publishes a frame exactly as given, to connections matching `asEvent` (default: every attached one). */
  publishRaw(text: string, asEvent?: HangarEvent): void {
    for (const conn of this.connections as (GatewayConnection & { queue: string[] })[]) {
      if (!conn.attached || conn.closedWith !== undefined) continue;
      if (asEvent && !matchesGatewaySubscription(conn.filter, asEvent)) continue;
      conn.queue.push(text);
      const limit = this.options.queueLimit ?? 1024;
      while (conn.queue.length > limit) {
        conn.queue.shift();
        conn.dropped++;
      }
      this.pump(conn);
    }
  }

  /** Sends a binary frame to every attached connection. */
  publishBinary(data: Buffer): void {
    for (const conn of this.open) if (conn.attached) conn.ws.send(data);
  }

  private pump(conn: GatewayConnection & { queue: string[]; sending?: boolean }): void {
    const limit = this.options.sendBufferBytes ?? 64 * 1024;
    while (conn.queue.length > 0 && conn.ws.readyState === conn.ws.OPEN && conn.ws.bufferedAmount < limit) {
      const text = conn.queue.shift()!;
      conn.delivered++;
      conn.sent.push(text);
      (conn as unknown as { armIdle: () => void }).armIdle();
      conn.ws.send(text, () => {
        if (conn.queue.length > 0) setImmediate(() => this.pump(conn));
      });
    }
  }

  /** Resolves when `predicate` holds (checked after every connection change and client message, and every 25 ms). */
  waitUntil(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const poll = setInterval(() => check(), 25);
      const check = () => {
        if (predicate()) {
          clearTimeout(timer);
          clearInterval(poll);
          const i = this.waiters.indexOf(check);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        clearInterval(poll);
        const i = this.waiters.indexOf(check);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`fake gateway: timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  /** Waits for the n-th connection (1-based) to be attached to the bus. */
  waitForAttached(n = 1, timeoutMs = 10_000): Promise<GatewayConnection> {
    return this.waitUntil(() => this.connections.filter((c) => c.attached).length >= n, timeoutMs, `${n} attached connection(s)`).then(
      () => this.connections.filter((c) => c.attached)[n - 1]!,
    );
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Closes every client connection with `code` (a gateway restart looks like 1012 or a dropped socket). */
  disconnectAll(code = 1012): void {
    for (const conn of this.open) conn.ws.close(code);
  }

  /** Stops listening and drops every connection at once. */
  async close(): Promise<void> {
    for (const conn of this.connections) conn.ws.terminate();
    for (const socket of this.sockets) socket.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match ? match[1] : undefined;
}

let sequence = 0;

/** A gateway-shaped event: occurred_at as a float (or an ISO timestamp), an id unless told otherwise. */
export function gatewayEvent(
  eventType: string,
  fields: Record<string, unknown> = {},
  options: { id?: boolean; timestamp?: 'float' | 'iso' | 'none' } = {},
): HangarEvent {
  sequence++;
  const event: HangarEvent = { event_type: eventType };
  if (options.id !== false) event.event_id = randomUUID();
  const when = 1795727378.4531293 + sequence;
  if ((options.timestamp ?? 'float') === 'float') event.occurred_at = when;
  else if (options.timestamp === 'iso') event.timestamp = new Date(when * 1000).toISOString().replace('Z', '').replace(/\.(\d{3})$/, '.$1456');
  event.produced_by = 'hangar-7f3a';
  Object.assign(event, fields);
  return event;
}

/** Starts a fake gateway on 127.0.0.1 and port 0. */
export function startFakeGateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  return new FakeGateway(options).listen();
}

/** A pending approval record as the gateway stores it (requested now, expiring in `expiresInS`). */
export function gatewayApproval(fields: Record<string, unknown> = {}, expiresInS = 300, nowMs = Date.now()): Record<string, unknown> {
  return {
    approval_id: randomUUID(),
    provider_id: 'github',
    tool_name: 'create_issue',
    arguments: { repo: 'acme/site', title: 'Fix the login page' },
    state: 'pending',
    channel: 'event_stream',
    requested_at: new Date(nowMs).toISOString().replace('Z', '+00:00'),
    expires_at: new Date(nowMs + expiresInS * 1000).toISOString().replace('Z', '+00:00'),
    expires_in_seconds: expiresInS,
    decided_by: null,
    decided_at: null,
    reason: null,
    requested_by: 'agent:ci',
    tenant_id: null,
    ...fields,
  };
}
