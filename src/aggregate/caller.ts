import type { HangarEvent } from '../protocol/types.js';
import { cleanLabel } from '../protocol/sanitize.js';

/**
 * Who an event is about, from its `identity_context` (a gateway's
 * IdentityContext.to_dict(): user_id, agent_id, session_id, principal_type
 * user|service|anonymous, tenant_id, correlation_id). Older or other
 * producers' `principal_id` is read as the user. Strings are sanitized here.
 */
export interface Caller {
  /** Grouping key: user and agent (the tenant is shown, not keyed: a denial names no tenant). */
  readonly key: string;
  /** The user id, else the agent id, else `anonymous`. */
  readonly id: string;
  /** The agent acting for the user ('' when none or when it is the id). */
  readonly agent: string;
  /** user, service, anonymous (or what the gateway said). */
  readonly principalType: string;
  /** '' when none. */
  readonly tenant: string;
}

/** The caller of an event without identity (auth off, or a call before authentication). */
export const ANONYMOUS: Caller = { key: 'anonymous', id: 'anonymous', agent: '', principalType: 'anonymous', tenant: '' };

function label(value: unknown, max = 80): string {
  return typeof value === 'string' ? (cleanLabel(value, max) ?? '') : '';
}

/** Whether the event names a caller at all (tool invocations always do: null means anonymous). */
export function carriesCaller(event: HangarEvent): boolean {
  return 'identity_context' in event || event.event_type.startsWith('ToolInvocation') || typeof event.principal_id === 'string';
}

/**
 * The caller of `event`: its identity_context, else a principal_id it
 * carries (AuthorizationDenied), else anonymous.
 */
export function callerOf(event: HangarEvent): Caller {
  const context = event.identity_context;
  if (context !== null && typeof context === 'object' && !Array.isArray(context)) {
    const fields = context as Record<string, unknown>;
    const user = label(fields.user_id) || label(fields.principal_id);
    const agent = label(fields.agent_id);
    const tenant = label(fields.tenant_id, 60);
    const type = label(fields.principal_type, 24);
    if (user === '' && agent === '') return tenant === '' ? ANONYMOUS : { ...ANONYMOUS, tenant };
    const id = user || agent;
    const shownAgent = user !== '' && agent !== '' && agent !== user ? agent : '';
    return { key: `${id}\u0000${shownAgent}`, id, agent: shownAgent, principalType: type || (user ? 'user' : 'service'), tenant };
  }
  const principal = label(event.principal_id);
  if (principal !== '') {
    const tenant = label(event.tenant_id, 60);
    return { key: `${principal}\u0000`, id: principal, agent: '', principalType: label(event.principal_type, 24) || 'user', tenant };
  }
  return ANONYMOUS;
}

/** The tenant an event concerns: its caller's, else its own tenant_id ('' when none). */
export function tenantOf(event: HangarEvent): string {
  const context = event.identity_context;
  if (context !== null && typeof context === 'object' && !Array.isArray(context)) {
    const tenant = label((context as Record<string, unknown>).tenant_id, 60);
    if (tenant !== '') return tenant;
  }
  return label(event.tenant_id, 60);
}
