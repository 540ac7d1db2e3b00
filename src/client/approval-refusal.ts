import { AlreadyDecidedError, AuthError, RuntimeError } from '../errors.js';
import type { Refusal } from './approvals-client.js';
import { APPROVAL_PERMISSIONS, APPROVALS_PATH, type Approval, type ApprovalPermission } from '../protocol/approval.js';
import { sanitizeForLog, stripControl } from '../protocol/sanitize.js';

/**
 * Words every refusal the approvals API can give as one line, with its exit
 * code by its type: 401/403 AuthError (4, naming the missing permission and
 * the built-in roles that hold it), 409 AlreadyDecidedError (7, with the
 * state and by whom), 404, 503 and the rest RuntimeError (1). Pure.
 */

export type ApprovalAction = 'list' | 'show' | 'approve' | 'deny';

export interface RefusalContext {
  readonly action: ApprovalAction;
  /** The approval, for show/approve/deny. */
  readonly id?: string | undefined;
  /** Where the API is, for messages (no credentials). */
  readonly displayUrl: string;
  /** Whether a credential was sent (a 401/403 then means a refused one rather than a missing one). */
  readonly credentialSent: boolean;
  /** After a 409: the approval as the gateway has it now, when it could be read (for who decided and when). */
  readonly current?: Approval | undefined;
}

/** The permission each action needs. */
export function permissionFor(action: ApprovalAction): ApprovalPermission {
  return action === 'approve' || action === 'deny' ? 'approval:resolve' : 'approval:read';
}

/** `approval:resolve, which the built-in roles admin and provider-admin hold`. */
export function describePermission(permission: ApprovalPermission): string {
  const roles: readonly string[] = APPROVAL_PERMISSIONS[permission];
  const list = roles.length === 1 ? roles[0]! : `${roles.slice(0, -1).join(', ')} and ${roles[roles.length - 1]!}`;
  return `${permission}, which the built-in ${roles.length === 1 ? 'role' : 'roles'} ${list} ${roles.length === 1 ? 'holds' : 'hold'}`;
}

/** What was being attempted, as a message starts: `cannot approve 3f9c...`. */
function attempt(ctx: RefusalContext): string {
  const id = ctx.id === undefined ? '' : ` ${stripControl(ctx.id)}`;
  switch (ctx.action) {
    case 'list':
      return 'cannot list approvals';
    case 'show':
      return `cannot show approval${id}`;
    case 'approve':
      return `cannot approve${id}`;
    case 'deny':
      return `cannot deny${id}`;
  }
}

/** ` (HTTP 409: Approval expired)`: the status and the gateway's own words, sanitized. */
function answered(refusal: Refusal): string {
  return refusal.message === undefined ? `HTTP ${refusal.status}` : `HTTP ${refusal.status}: ${sanitizeForLog(refusal.message, 160)}`;
}

/** ` by alice at 2026-11-26T12:00:03Z`, from what the gateway says now. */
function decidedBy(current: Approval | undefined): string {
  if (current === undefined) return '';
  const by = current.decided_by ? ` by ${sanitizeForLog(current.decided_by, 80)}` : '';
  const at = current.decided_at ? ` at ${sanitizeForLog(current.decided_at, 40)}` : '';
  return `${by}${at}`;
}

/** How serious a refusal is: its exit code's kind. */
export type RefusalKind = 'auth' | 'decided' | 'failure';

/**
 * A refusal of the approvals API in words, after "cannot approve ID: ", and
 * its kind: what `refusalError` says, for a view that names the approval itself.
 */
export function describeRefusal(refusal: Refusal, ctx: RefusalContext): { readonly kind: RefusalKind; readonly reason: string } {
  const where = ctx.displayUrl;
  switch (refusal.status) {
    case 401:
      return auth(`${where} answered ${answered(refusal)}: ${ctx.credentialSent ? 'the credential was refused' : 'no credential was sent'}; pass the key with -k/--api-key, --api-key-file or HANGAR_API_KEY (--bearer for a JWT/OIDC token)`);
    case 403: {
      if (!ctx.credentialSent) {
        return auth(`${where} answered ${answered(refusal)}: no credential was sent; pass the key with -k/--api-key, --api-key-file or HANGAR_API_KEY (--bearer for a JWT/OIDC token)`);
      }
      if (refusal.authorization === true) {
        return auth(`${where} answered ${answered(refusal)}: the key lacks ${describePermission(permissionFor(ctx.action))} (or a custom role that grants it)`);
      }
      // A refused key (serve, some proxies) or a missing permission: the answer does not say which.
      return auth(
        `${where} answered ${answered(refusal)}: the credential was refused, or it lacks ${describePermission(permissionFor(ctx.action))}; check the key given with -k/--api-key, --api-key-file or HANGAR_API_KEY`,
      );
    }
    case 404:
      if (ctx.id === undefined || refusal.message === undefined) {
        return failure(`${where} has no ${APPROVALS_PATH} (${answered(refusal)}): not a Hangar gateway with approvals (2.13 or later), or a wrong --url`);
      }
      return failure(`no such approval on ${where} (${answered(refusal)}): it does not exist, or it belongs to another tenant (a gateway answers both the same way); hangar-events approvals lists the pending ones`);
    case 409: {
      const state = ctx.current?.state ?? refusal.state;
      if (state === 'approved' || state === 'denied') {
        return decided(`it was already ${state}${decidedBy(ctx.current)} (${answered(refusal)}); nothing changed`);
      }
      if (state === 'expired') {
        const at = ctx.current?.decided_at ?? ctx.current?.expires_at;
        return decided(`it expired${at ? ` at ${sanitizeForLog(at, 40)}` : ''} before anyone decided, so the call was denied (${answered(refusal)}); nothing changed`);
      }
      return decided(`the gateway could not resolve it (${answered(refusal)})${state !== undefined ? `; its state is ${sanitizeForLog(state, 40)}` : ''}: it was probably decided at the same moment; see hangar-events approvals show ${stripControl(ctx.id ?? 'ID')}`);
    }
    case 503:
      return failure(`${where} has no approval gate (${answered(refusal)}): nothing is held for approval there; the gateway's approval gate must be configured first`);
    case 400:
      return failure(`${where} refused the request (${answered(refusal)})`);
    default:
      return failure(`${where} answered ${answered(refusal)}`);
  }
}

const auth = (reason: string) => ({ kind: 'auth' as const, reason });
const decided = (reason: string) => ({ kind: 'decided' as const, reason });
const failure = (reason: string) => ({ kind: 'failure' as const, reason });

/** The error (typed for its exit code: AuthError 4, AlreadyDecidedError 7, RuntimeError 1) for a refusal of the approvals API. */
export function refusalError(refusal: Refusal, ctx: RefusalContext): Error {
  const { kind, reason } = describeRefusal(refusal, ctx);
  const message = `${attempt(ctx)}: ${reason}`;
  return kind === 'auth' ? new AuthError(message) : kind === 'decided' ? new AlreadyDecidedError(message) : new RuntimeError(message);
}
