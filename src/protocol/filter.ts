import type { HangarEvent } from './types.js';

/**
 * Filter semantics of the gateway (PROTOCOL.md): AND across keys, OR within a
 * key; an omitted key matches everything, an empty list matches nothing.
 */
export interface SubscriptionFilter {
  eventTypes?: readonly string[] | undefined;
  serverIds?: readonly string[] | undefined;
}

/**
 * Whether the gateway can evaluate a type pattern: `*`, an exact name, or a
 * `/`-separated pattern whose segments are each `*` or contain no `*`. A `*`
 * inside a segment (`Health*`) is invalid and the gateway ignores it.
 */
export function isGatewayPattern(pattern: string): boolean {
  if (pattern === '*') return true;
  return pattern.split('/').every((segment) => segment === '*' || !segment.includes('*'));
}

/** Matches one event type against one gateway pattern; invalid patterns match nothing. */
export function matchesGatewayPattern(pattern: string, eventType: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('/')) return !pattern.includes('*') && pattern === eventType;
  const patternSegments = pattern.split('/');
  const typeSegments = eventType.split('/');
  if (patternSegments.length !== typeSegments.length) return false;
  for (let i = 0; i < patternSegments.length; i++) {
    const p = patternSegments[i]!;
    if (p === '*') continue;
    if (p.includes('*') || p !== typeSegments[i]) return false;
  }
  return true;
}

/**
 * The server identity of an event, in the order of PROTOCOL.md:
 * mcp_server_id, provider_id, mcp_server_name, provider_name.
 */
export function serverIdentityOf(event: Readonly<Record<string, unknown>>): string | undefined {
  for (const key of ['mcp_server_id', 'provider_id', 'mcp_server_name', 'provider_name'] as const) {
    const value = event[key];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}

/**
 * Whether the gateway (and serve) would deliver `event` to a subscription
 * with `filter`. The server filter looks at `mcp_server_id` only.
 */
export function matchesSubscription(filter: SubscriptionFilter, event: HangarEvent): boolean {
  const { eventTypes, serverIds } = filter;
  if (eventTypes !== undefined) {
    let matched = false;
    for (const pattern of eventTypes) {
      if (matchesGatewayPattern(pattern, event.event_type)) {
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  if (serverIds !== undefined) {
    const id = event.mcp_server_id;
    if (typeof id !== 'string' || !serverIds.includes(id)) return false;
  }
  return true;
}
