import { serverIdentityOf } from './server-identity.js';
import { compileTypePatterns } from './type-patterns.js';
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
 * Whether serve delivers `event` to a subscription with `filter`: the
 * gateway's semantics, except that `mcp_server_ids` matches the event's
 * server identity (mcp_server_id, provider_id, mcp_server_name,
 * provider_name, mcp_server), so a server filter also finds discovery,
 * tool-withdrawal and pre-rename events.
 */
export function matchesSubscription(filter: SubscriptionFilter, event: HangarEvent): boolean {
  if (!matchesTypes(filter.eventTypes, event)) return false;
  const serverIds = filter.serverIds;
  if (serverIds !== undefined) {
    const id = serverIdentityOf(event);
    if (id === undefined || !serverIds.includes(id)) return false;
  }
  return true;
}

/**
 * Whether a real gateway delivers `event` to a subscription with `filter`:
 * `mcp_server_ids` is an exact match on `mcp_server_id` only, so events that
 * name their server otherwise never match a server filter (PROTOCOL.md).
 */
export function matchesGatewaySubscription(filter: SubscriptionFilter, event: HangarEvent): boolean {
  if (!matchesTypes(filter.eventTypes, event)) return false;
  const serverIds = filter.serverIds;
  if (serverIds !== undefined) {
    const id = event.mcp_server_id;
    if (typeof id !== 'string' || !serverIds.includes(id)) return false;
  }
  return true;
}

/** A compiled subscription filter: whether an event passes it. */
export type SubscriptionMatcher = (event: HangarEvent) => boolean;

/**
 * Compiles `filter` once (per subscribe) into a matcher with the semantics of
 * `matchesSubscription`: type patterns as a segment automaton
 * (compileTypePatterns: the cost of a type is one lookup per segment, whatever
 * the patterns' number and length, even when every type is new), server ids
 * in a set. So a client with 256 long patterns cannot make every publish
 * expensive.
 */
export function compileSubscription(filter: SubscriptionFilter): SubscriptionMatcher {
  const types = filter.eventTypes === undefined || filter.eventTypes.includes('*') ? undefined : compileTypePatterns(filter.eventTypes);
  const servers = filter.serverIds !== undefined ? new Set(filter.serverIds) : undefined;
  if (servers === undefined) return types === undefined ? () => true : (event) => types(event.event_type);
  return (event) => {
    if (types !== undefined && !types(event.event_type)) return false;
    const id = serverIdentityOf(event);
    return id !== undefined && servers.has(id);
  };
}

function matchesTypes(eventTypes: readonly string[] | undefined, event: HangarEvent): boolean {
  if (eventTypes === undefined) return true;
  for (const pattern of eventTypes) {
    if (matchesGatewayPattern(pattern, event.event_type)) return true;
  }
  return false;
}
