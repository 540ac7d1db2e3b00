import type { IncomingMessage, ServerResponse } from 'node:http';
import { MCP_SERVERS_PATH } from '../protocol/fleet-snapshot.js';
import { logLinesParam, serverIdOfLogsPath } from '../protocol/server-logs.js';
import { simulatedLogLines } from './simulated-logs.js';
import type { Hub } from './hub.js';
import { batchRefusedBody, decodeEventBatch, MAX_INGEST_BODY_BYTES, unpublishableRefusal } from '../protocol/event-batch.js';
import { checkCredentials, checkHost, checkOrigin, type GuardConfig, type Refusal } from './request-guard.js';
import { handleApprovalsRequest, isApprovalsPath, type ApprovalRoutesContext } from './approvals/approval-routes.js';

/** What the plain-HTTP side of the server needs. */
export interface RequestHandlerContext {
  readonly guard: GuardConfig;
  readonly hub: Hub;
  /** The body of GET /health. */
  readonly health: () => unknown;
  /** The WebSocket path (a plain GET on it gets 426). */
  readonly streamPath: string;
  /** The approvals REST (its gate undefined with --no-approvals: 503). */
  readonly approvals: Omit<ApprovalRoutesContext, 'guard' | 'sendJson'>;
}

/** The request path without its query string. */
export function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q >= 0 ? raw.slice(0, q) : raw;
}

/**
 * Plain HTTP (everything that is not a WebSocket upgrade): GET /health,
 * GET /api/mcp_servers (the fleet as a gateway lists it, from the events
 * kept; `?state=ready` filters), GET /api/mcp_servers/{id}/logs?lines=N
 * (simulated stderr lines made from the server's kept events), POST /api/events (ingest, all or nothing,
 * 1 MiB), the approvals REST (approval-routes.ts), 426 on the stream path,
 * 404 JSON elsewhere. The Host check applies to every request; ingest also
 * checks Origin and credentials, like the WebSocket upgrade.
 */
export function createRequestHandler(context: RequestHandlerContext): (req: IncomingMessage, res: ServerResponse) => void {
  const { guard, hub, health, streamPath } = context;
  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
    res.end(text);
  };
  const refuseHttp = (res: ServerResponse, refusal: Refusal, headers: Record<string, string> = {}) =>
    sendJson(res, refusal.status, { error: refusal.code, message: refusal.message }, headers);

  const handleIngest = (req: IncomingMessage, res: ServerResponse) => {
    const refusal = checkOrigin(req, guard) ?? checkCredentials(req, guard);
    if (refusal) {
      req.resume();
      return refuseHttp(res, refusal);
    }
    const tooLarge = () =>
      refuseHttp(res, { status: 413, code: 'too_large', message: `the body is larger than ${MAX_INGEST_BODY_BYTES} bytes; split it into smaller batches` }, { Connection: 'close' });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_INGEST_BODY_BYTES) {
      tooLarge();
      res.on('finish', () => req.destroy());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_INGEST_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        tooLarge();
        res.on('finish', () => req.destroy());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {});
    req.on('end', () => {
      if (refused) return;
      const parsed = decodeEventBatch(Buffer.concat(chunks).toString('utf8'));
      if (!parsed.ok) return sendJson(res, 400, batchRefusedBody(parsed.error));
      // All or nothing: every event is serialized before the first is delivered.
      const failed = hub.publishAll(parsed.events);
      if (failed >= 0) return sendJson(res, 400, batchRefusedBody(unpublishableRefusal(parsed, failed)));
      sendJson(res, 202, { accepted: parsed.events.length });
    });
  };

  return (req, res) => {
    res.on('error', () => {});
    const hostRefusal = checkHost(req, guard);
    if (hostRefusal) {
      req.resume();
      return refuseHttp(res, hostRefusal);
    }
    const path = pathOf(req.url);
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return sendJson(res, 200, health());
    const logsOf = serverIdOfLogsPath(path);
    if (logsOf !== undefined) {
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendJson(res, 405, { error: 'method_not_allowed', message: `GET ${path} lists the server's log lines` }, { Allow: 'GET' });
      }
      const refusal = checkOrigin(req, guard) ?? checkCredentials(req, guard);
      if (refusal) return refuseHttp(res, refusal);
      const lines = logLinesParam(new URL(req.url ?? '/', 'http://localhost').searchParams.get('lines'));
      const logs = simulatedLogLines(hub.keptEvents(), logsOf, lines);
      // The gateway's answer for a server it does not know: McpServerNotFoundError as its error envelope.
      if (logs === undefined) return sendJson(res, 404, { error: { code: 'McpServerNotFoundError', message: `McpServer not found: ${logsOf}`, details: null } });
      return sendJson(res, 200, { logs, mcp_server_id: logsOf, count: logs.length });
    }
    if (path === MCP_SERVERS_PATH) {
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendJson(res, 405, { error: 'method_not_allowed', message: `GET ${MCP_SERVERS_PATH} lists the fleet` }, { Allow: 'GET' });
      }
      // The same credentials as the stream: a gateway asks for them here too.
      const refusal = checkOrigin(req, guard) ?? checkCredentials(req, guard);
      if (refusal) return refuseHttp(res, refusal);
      const wanted = new URL(req.url ?? '/', 'http://localhost').searchParams.get('state');
      const servers = hub.fleetSnapshot().filter((s) => wanted === null || s.state === wanted);
      return sendJson(res, 200, { mcp_servers: servers });
    }
    if (isApprovalsPath(path)) return handleApprovalsRequest(req, res, path, { ...context.approvals, guard, sendJson });
    if (path === '/api/events') {
      if (req.method !== 'POST') {
        req.resume();
        return sendJson(res, 405, { error: 'method_not_allowed', message: 'POST events to /api/events' }, { Allow: 'POST' });
      }
      return handleIngest(req, res);
    }
    req.resume();
    if (path === streamPath) {
      return sendJson(res, 426, { error: 'upgrade_required', message: `${streamPath} is a WebSocket endpoint; connect with a WebSocket client` }, { Upgrade: 'websocket', Connection: 'Upgrade' });
    }
    sendJson(res, 404, { error: 'not_found', message: `no such endpoint; the event stream is at ${streamPath}, health at /health, the fleet at GET ${MCP_SERVERS_PATH}, ingest at POST /api/events, approvals at GET /api/approvals` });
  };
}
