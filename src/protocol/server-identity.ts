/**
 * Which server an event is about. A current gateway names the server in
 * different fields depending on the event: `mcp_server_id` (most types),
 * `mcp_server_name` (discovery), `mcp_server` (tool withdrawal and restore);
 * pre-rename gateways write `provider_id` / `provider_name`. One function
 * decides for every part of the program (pretty lines, the table, `--server`,
 * serve's own filtering, stats), so they never disagree.
 */

/** The fields that name an event's server, in the order they are consulted. */
export const SERVER_IDENTITY_FIELDS = ['mcp_server_id', 'provider_id', 'mcp_server_name', 'provider_name', 'mcp_server'] as const;

export type ServerIdentityField = (typeof SERVER_IDENTITY_FIELDS)[number];

/** The field that names the event's server (the first non-empty string of SERVER_IDENTITY_FIELDS), if any. */
export function serverIdentityFieldOf(event: Readonly<Record<string, unknown>>): ServerIdentityField | undefined {
  for (let i = 0; i < SERVER_IDENTITY_FIELDS.length; i++) {
    const value = event[SERVER_IDENTITY_FIELDS[i]!];
    if (typeof value === 'string' && value.length > 0) return SERVER_IDENTITY_FIELDS[i]!;
  }
  return undefined;
}

/** The server the event is about: mcp_server_id, provider_id, mcp_server_name, provider_name, mcp_server (first non-empty string wins). */
export function serverIdentityOf(event: Readonly<Record<string, unknown>>): string | undefined {
  const field = serverIdentityFieldOf(event);
  return field === undefined ? undefined : (event[field] as string);
}

/** The group a group event is about (`group_id`), if any. */
export function groupIdentityOf(event: Readonly<Record<string, unknown>>): string | undefined {
  const value = event.group_id;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
