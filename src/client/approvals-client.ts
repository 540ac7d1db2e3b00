import { EVENTS_PATH } from '../protocol/types.js';
import {
  APPROVALS_PATH,
  decodeApproval,
  decodeApprovalList,
  decodeErrorBody,
  decodeResolveAnswer,
  type Approval,
  type ApprovalDecision,
  type ApprovalState,
} from '../protocol/approval.js';

/**
 * The approvals REST API of a gateway (or serve): list, one, resolve
 * (PROTOCOL.md Part 5). Answers are decoded totally; an HTTP refusal is a
 * value (`{ok: false, refusal}`), not an exception, so a caller can word it
 * for its action and go on with the next ID. Only a request that got no
 * HTTP answer at all (refused connection, TLS, timeout) rejects.
 */

/**
 * What the client needs of an HTTP client (client/http.ts's HttpClient is
 * one): send a request, get its status and its body parsed as JSON
 * (undefined when it is not JSON); reject only when no answer came.
 */
export interface JsonRequester {
  request(request: { readonly method: 'GET' | 'POST'; readonly url: URL; readonly json?: unknown }): Promise<{ readonly status: number; readonly json: unknown }>;
}

type JsonAnswer = { readonly status: number; readonly json: unknown };

/** What a refusal says: the HTTP status, the gateway's `error`, and the `state` a 409 names. */
export interface Refusal {
  readonly status: number;
  readonly message: string | undefined;
  readonly state: string | undefined;
  /** A 403 from the gateway's authorization layer (a permission is missing), not a refused credential. */
  readonly authorization?: boolean;
}

export type ApiResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: Refusal };

export interface ApprovalsClient {
  /** GET /api/approvals?state=&provider_id= (newest first, as the gateway answers). */
  list(query: { readonly state: ApprovalState; readonly server?: string | undefined }): Promise<ApiResult<Approval[]>>;
  /** GET /api/approvals/{id}. */
  get(id: string): Promise<ApiResult<Approval>>;
  /** POST /api/approvals/{id}/resolve; resolves to the state the gateway reports. */
  resolve(id: string, decision: ApprovalDecision, reason?: string): Promise<ApiResult<{ readonly state: string | undefined }>>;
}

/**
 * The REST base next to a stream URL: ws(s)://host/prefix/api/ws/events ->
 * http(s)://host/prefix (a gateway behind a path prefix keeps it; any other
 * path is taken as the prefix). A `?token=` credential is kept, the rest of
 * the query is not.
 */
export function approvalsBaseUrl(streamUrl: string): string {
  const url = new URL(streamUrl);
  url.protocol = url.protocol === 'wss:' || url.protocol === 'https:' ? 'https:' : 'http:';
  const path = url.pathname.endsWith(EVENTS_PATH) ? url.pathname.slice(0, -EVENTS_PATH.length) : url.pathname;
  url.pathname = path.replace(/\/+$/, '') || '/';
  const token = url.searchParams.get('token');
  url.search = token !== null ? `?${new URLSearchParams({ token }).toString()}` : '';
  url.hash = '';
  return url.href.replace(/\/(\?|$)/, '$1');
}

/** `${base}/api/approvals${suffix}` with the base's query (a token) and `params`. */
export function approvalsUrl(baseUrl: string, suffix = '', params: Readonly<Record<string, string | undefined>> = {}): URL {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${APPROVALS_PATH}${suffix}`;
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

/** A refusal from an answer that is not the expected success. */
function refusalOf(answer: JsonAnswer): Refusal {
  const { message, state, authorization } = decodeErrorBody(answer.json);
  return { status: answer.status, message, state, authorization };
}

/** A 2xx answer whose body is not what the API promises: a refusal with the status and what was wrong. */
function badAnswer(answer: JsonAnswer, error: string): ApiResult<never> {
  return { ok: false, refusal: { status: answer.status, message: `unexpected answer: ${error}`, state: undefined } };
}

/** The approvals client of one endpoint, over `http` (which carries its credentials and TLS settings). */
export function createApprovalsClient(baseUrl: string, http: JsonRequester): ApprovalsClient {
  const one = (id: string, tail = '') => approvalsUrl(baseUrl, `/${encodeURIComponent(id)}${tail}`);
  return {
    async list(query) {
      const answer = await http.request({ method: 'GET', url: approvalsUrl(baseUrl, '', { state: query.state, provider_id: query.server }) });
      if (answer.status !== 200) return { ok: false, refusal: refusalOf(answer) };
      const decoded = decodeApprovalList(answer.json);
      return decoded.ok ? { ok: true, value: decoded.value.approvals } : badAnswer(answer, decoded.error);
    },
    async get(id) {
      const answer = await http.request({ method: 'GET', url: one(id) });
      if (answer.status !== 200) return { ok: false, refusal: refusalOf(answer) };
      const decoded = decodeApproval(answer.json);
      return decoded.ok ? { ok: true, value: decoded.value } : badAnswer(answer, decoded.error);
    },
    async resolve(id, decision, reason) {
      const body = reason === undefined ? { decision } : { decision, reason };
      const answer = await http.request({ method: 'POST', url: one(id, '/resolve'), json: body });
      if (answer.status !== 200) return { ok: false, refusal: refusalOf(answer) };
      const decoded = decodeResolveAnswer(answer.json);
      return decoded.ok ? { ok: true, value: { state: decoded.value.state } } : badAnswer(answer, decoded.error);
    },
  };
}
