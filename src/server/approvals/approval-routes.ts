import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerLog } from '../log.js';
import { checkCredentials, checkOrigin, type GuardConfig, type Refusal } from '../request-guard.js';
import { APPROVAL_STATES, type ApprovalGate, type ApprovalState } from './approval-gate.js';

/**
 * The approvals REST of a gateway (mcp-hangar `approvals/api/routes.py`),
 * answered by serve from its own gate: the same paths, JSON bodies, status
 * codes and error strings, so a client written against a gateway works here.
 *
 *   GET  /api/approvals?state=pending|approved|denied|expired&provider_id=ID
 *   GET  /api/approvals/{id}
 *   POST /api/approvals/{id}/resolve   {"decision": "approve"|"deny", "reason": "..."}
 *
 * Credentials are serve's (the same keys as the stream); a refusal is shaped
 * as a gateway's (401 `authentication_failed`, 403 `access_denied`).
 */

export const APPROVALS_PATH = '/api/approvals';

/** The longest resolve body read, bytes (a decision and a reason). */
export const MAX_RESOLVE_BODY_BYTES = 64 * 1024;

export interface ApprovalRoutesContext {
  readonly guard: GuardConfig;
  /** Undefined: serve --no-approvals (every route answers 503, as a gateway without a gate). */
  readonly gate: ApprovalGate | undefined;
  /** Who decides, for `decided_by`: the system principal without keys, else a name for the key (never the key). */
  readonly principalOf: (req: IncomingMessage) => string;
  readonly sendJson: (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void;
  /** serve's operator log: one line per decision (who, which call; never arguments or reason). */
  readonly log: ServerLog;
}

/** Whether `path` is one of the approvals routes' (so the caller hands the request over). */
export function isApprovalsPath(path: string): boolean {
  return path === APPROVALS_PATH || path.startsWith(`${APPROVALS_PATH}/`);
}

/** A refusal of the guard in the shape a gateway's authentication middleware gives it. */
function gatewayRefusalBody(refusal: Refusal, action: 'read' | 'resolve'): unknown {
  if (refusal.status === 401) {
    return { error: 'authentication_failed', message: refusal.message, details: { expected_methods: ['api_key', 'bearer'] } };
  }
  return { error: 'access_denied', message: refusal.message, principal_id: null, action, resource: 'approval:*' };
}

/** Handles a request on an approvals path (isApprovalsPath). */
export function handleApprovalsRequest(req: IncomingMessage, res: ServerResponse, path: string, context: ApprovalRoutesContext): void {
  const { guard, gate, sendJson } = context;
  const rest = path.slice(APPROVALS_PATH.length); // '', '/{id}' or '/{id}/resolve'
  const segments = rest === '' ? [] : rest.slice(1).split('/');
  const route =
    segments.length === 0 ? 'list' : segments.length === 1 && segments[0] !== '' ? 'get' : segments.length === 2 && segments[0] !== '' && segments[1] === 'resolve' ? 'resolve' : undefined;
  if (route === undefined) {
    req.resume();
    return sendJson(res, 404, { error: 'not_found', message: `no such approvals endpoint; try GET ${APPROVALS_PATH}, GET ${APPROVALS_PATH}/{id} or POST ${APPROVALS_PATH}/{id}/resolve` });
  }
  const method = req.method ?? 'GET';
  const wanted = route === 'resolve' ? 'POST' : 'GET';
  if (method !== wanted && !(wanted === 'GET' && method === 'HEAD')) {
    req.resume();
    return sendJson(res, 405, { error: 'method_not_allowed', message: `${wanted} ${route === 'list' ? APPROVALS_PATH : route === 'get' ? `${APPROVALS_PATH}/{id}` : `${APPROVALS_PATH}/{id}/resolve`}` }, { Allow: wanted === 'GET' ? 'GET, HEAD' : 'POST' });
  }
  // Authentication first, as a gateway's middleware runs before its routes.
  const refusal = checkOrigin(req, guard) ?? checkCredentials(req, guard);
  if (refusal) {
    req.resume();
    const headers: Record<string, string> = refusal.status === 401 ? { 'WWW-Authenticate': 'Bearer, ApiKey' } : {};
    return sendJson(res, refusal.status, gatewayRefusalBody(refusal, route === 'resolve' ? 'resolve' : 'read'), headers);
  }
  if (gate === undefined) {
    req.resume();
    return sendJson(res, 503, { error: 'approval gate is not configured on this gateway' });
  }
  const id = decodeSegment(segments[0] ?? '');
  if (route === 'list') {
    req.resume();
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const state = query.get('state') ?? 'pending';
    if (!(APPROVAL_STATES as readonly string[]).includes(state)) return sendJson(res, 400, { error: `Invalid state: ${state}` });
    return sendJson(res, 200, gate.list(state as ApprovalState, query.get('provider_id') ?? undefined));
  }
  if (route === 'get') {
    req.resume();
    const approval = id === undefined ? undefined : gate.get(id);
    return approval === undefined ? sendJson(res, 404, { error: 'Approval not found' }) : sendJson(res, 200, approval);
  }
  readBody(req, res, context, (text) => {
    const body = parseResolveBody(text);
    if (typeof body === 'string') return sendJson(res, 400, { error: body });
    if (body.decision !== 'approve' && body.decision !== 'deny') return sendJson(res, 400, { error: "decision must be 'approve' or 'deny'" });
    const result = id === undefined ? { outcome: 'not_found' as const } : gate.resolve(id, body.decision === 'approve', context.principalOf(req), body.reason);
    switch (result.outcome) {
      case 'not_found':
        return sendJson(res, 404, { error: 'Approval not found' });
      case 'already_resolved':
        return sendJson(res, 409, { error: 'Approval already resolved', state: result.state });
      case 'expired':
        return sendJson(res, 409, { error: 'Approval expired', state: result.state });
      case 'resolved': {
        const approval = gate.get(id!);
        const call = approval === undefined ? '' : ` (${approval.provider_id} ${approval.tool_name})`;
        context.log.info(`approval ${id} ${result.state} by ${context.principalOf(req)}${call}`, { event: 'approval_decided', approval_id: id, state: result.state, decided_by: approval?.decided_by });
        return sendJson(res, 200, { approval_id: id, state: result.state });
      }
    }
  });
}

/** A path segment decoded as a router would; undefined when it is not valid percent-encoding. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The resolve body, or what is wrong with it (a gateway answers a body that is not JSON with a 500; serve says what to send). */
function parseResolveBody(text: string): { decision: unknown; reason: string | null } | string {
  const example = 'send a JSON object such as {"decision": "approve", "reason": "..."}';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `the body is not JSON: ${example}`;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return `the body is not a JSON object: ${example}`;
  const { decision, reason } = body as Record<string, unknown>;
  if (reason !== undefined && reason !== null && typeof reason !== 'string') return 'reason must be a string';
  return { decision, reason: typeof reason === 'string' ? reason : null };
}

/** Reads a body of at most MAX_RESOLVE_BODY_BYTES (413 beyond it), then calls `done` with it as text. */
function readBody(req: IncomingMessage, res: ServerResponse, context: ApprovalRoutesContext, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  const tooLarge = () => {
    refused = true;
    chunks.length = 0;
    context.sendJson(res, 413, { error: 'too_large', message: `the body is larger than ${MAX_RESOLVE_BODY_BYTES} bytes; a resolve body is a decision and a short reason` }, { Connection: 'close' });
    res.on('finish', () => req.destroy());
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_RESOLVE_BODY_BYTES) return tooLarge();
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > MAX_RESOLVE_BODY_BYTES) return tooLarge();
    chunks.push(chunk);
  });
  req.on('error', () => {});
  req.on('end', () => {
    if (!refused) done(Buffer.concat(chunks).toString('utf8'));
  });
}
