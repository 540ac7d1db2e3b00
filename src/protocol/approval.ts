/**
 * Approvals as a gateway's REST API answers them (PROTOCOL.md Part 5): the
 * record, its states, the paths, and total decoding of the bodies. Decoding
 * never throws and never trusts a peer string: callers sanitize before
 * printing.
 */

/** Where a gateway serves approvals (a path prefix before /api is kept). */
export const APPROVALS_PATH = '/api/approvals';

/** The states `GET /api/approvals?state=` accepts (the gateway's default is pending). */
export const APPROVAL_STATES = ['pending', 'approved', 'denied', 'expired'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

/** What `POST /api/approvals/{id}/resolve` takes. */
export type ApprovalDecision = 'approve' | 'deny';

/**
 * One approval, as the gateway answers it. Every field is optional on the
 * wire; decoding keeps what has the right type. `arguments` was redacted by
 * the gateway before it was stored.
 */
export interface Approval {
  readonly approval_id: string;
  readonly provider_id?: string | undefined;
  readonly tool_name?: string | undefined;
  readonly arguments?: unknown;
  readonly state?: string | undefined;
  readonly channel?: string | undefined;
  /** ISO 8601. */
  readonly requested_at?: string | undefined;
  /** ISO 8601. */
  readonly expires_at?: string | undefined;
  readonly expires_in_seconds?: number | undefined;
  readonly decided_by?: string | undefined;
  readonly decided_at?: string | undefined;
  readonly reason?: string | undefined;
  readonly requested_by?: string | undefined;
  readonly tenant_id?: string | undefined;
  /** The object exactly as received (for -o json / ndjson). */
  readonly raw: Readonly<Record<string, unknown>>;
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One approval object; an object without a string `approval_id` is not one. */
export function decodeApproval(value: unknown): Decoded<Approval> {
  if (!isObject(value)) return { ok: false, error: 'an approval is not a JSON object' };
  const id = str(value.approval_id);
  if (id === undefined || id === '') return { ok: false, error: 'an approval has no approval_id' };
  const expiresIn = value.expires_in_seconds;
  return {
    ok: true,
    value: {
      approval_id: id,
      provider_id: str(value.provider_id),
      tool_name: str(value.tool_name),
      arguments: value.arguments,
      state: str(value.state),
      channel: str(value.channel),
      requested_at: str(value.requested_at),
      expires_at: str(value.expires_at),
      expires_in_seconds: typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? expiresIn : undefined,
      decided_by: str(value.decided_by),
      decided_at: str(value.decided_at),
      reason: str(value.reason),
      requested_by: str(value.requested_by),
      tenant_id: str(value.tenant_id),
      raw: value,
    },
  };
}

/** The answer of `GET /api/approvals`: a JSON array of approvals (entries that are not approvals are counted, not fatal). */
export function decodeApprovalList(value: unknown): Decoded<{ approvals: Approval[]; skipped: number }> {
  if (!Array.isArray(value)) return { ok: false, error: 'the answer is not a JSON array of approvals' };
  const approvals: Approval[] = [];
  let skipped = 0;
  for (const item of value) {
    const decoded = decodeApproval(item);
    if (decoded.ok) approvals.push(decoded.value);
    else skipped++;
  }
  return { ok: true, value: { approvals, skipped } };
}

/** The answer of a resolve: `{"approval_id", "state"}`. */
export function decodeResolveAnswer(value: unknown): Decoded<{ approvalId: string | undefined; state: string | undefined }> {
  if (!isObject(value)) return { ok: false, error: 'the answer is not a JSON object' };
  return { ok: true, value: { approvalId: str(value.approval_id), state: str(value.state) } };
}

/**
 * What an error body says: `{"error": "..."}` (approvals routes, 401) or
 * `{"error": {"code", "message"}}` (the authorization layer's 403), plus a
 * `state` on a 409. `authorization` tells the authorization layer's refusal
 * (a permission is missing) from a refused credential. Anything else: nothing.
 */
export function decodeErrorBody(value: unknown): { message: string | undefined; state: string | undefined; authorization: boolean } {
  if (!isObject(value)) return { message: undefined, state: undefined, authorization: false };
  const error = value.error;
  const message = typeof error === 'string' ? error : isObject(error) ? (str(error.message) ?? str(error.code)) : (str(value.detail) ?? str(value.message));
  const authorization = isObject(error) && (error.code === 'AccessDeniedError' || /\bcannot \S+ on \S+/.test(str(error.message) ?? ''));
  return { message, state: str(value.state), authorization };
}

/**
 * The permissions approvals involve and the gateway's built-in roles that
 * hold each (from the gateway's role definitions; `admin` holds `*:*`).
 */
export const APPROVAL_PERMISSIONS = {
  'approval:read': ['admin', 'provider-admin', 'auditor'],
  'approval:resolve': ['admin', 'provider-admin'],
  'audit:read': ['admin', 'auditor'],
} as const satisfies Record<string, readonly string[]>;

export type ApprovalPermission = keyof typeof APPROVAL_PERMISSIONS;
