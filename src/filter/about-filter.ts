import { groupIdentityOf, serverIdentityOf } from '../protocol/server-identity.js';
import type { HangarEvent } from '../protocol/types.js';

/**
 * `--server` and `--group` as one predicate: an event passes when its server
 * identity (mcp_server_id, provider_id, mcp_server_name, provider_name,
 * mcp_server) is one of `servers`, or its `group_id` is one of `groups`.
 * Undefined when neither list narrows anything. Tail applies it itself: a
 * gateway's own server filter sees `mcp_server_id` only.
 */
export function compileAboutFilter(servers: readonly string[], groups: readonly string[]): ((event: HangarEvent) => boolean) | undefined {
  if (servers.length === 0 && groups.length === 0) return undefined;
  const serverSet = new Set(servers);
  const groupSet = new Set(groups);
  return (event) => {
    if (serverSet.size > 0) {
      const server = serverIdentityOf(event);
      if (server !== undefined && serverSet.has(server)) return true;
    }
    if (groupSet.size > 0) {
      const group = groupIdentityOf(event);
      if (group !== undefined && groupSet.has(group)) return true;
    }
    return false;
  };
}
