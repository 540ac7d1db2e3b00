/**
 * A server's recent log lines, `GET /api/mcp_servers/{id}/logs?lines=N`
 * (the gateway's REST, mcp_hangar/server/api/mcp_servers.py): answers
 * `{"logs": [{"mcp_server_id", "stream": "stdout"|"stderr", "content",
 * "recorded_at": unix seconds}], "mcp_server_id", "count"}`, the last N lines
 * (default 100, at most 1000; a non-number is the default), an empty list for
 * a server without a log buffer, 404 for one not registered. The console's
 * server detail reads it; serve answers it with simulated stderr lines.
 * Decoding peer input never throws.
 */

/** `/api/mcp_servers/{id}/logs` (the id URL-encoded). */
export function serverLogsPath(serverId: string): string {
  return `/api/mcp_servers/${encodeURIComponent(serverId)}/logs`;
}

const LOGS_PATH = /^\/api\/mcp_servers\/([^/]+)\/logs$/;

/** The server id of a logs path, or undefined when `path` is not one (or its id is not valid percent-encoding). */
export function serverIdOfLogsPath(path: string): string | undefined {
  const match = LOGS_PATH.exec(path);
  if (match === null) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

export const DEFAULT_LOG_LINES = 100;
export const MAX_LOG_LINES = 1000;

/** The `lines` query parameter as the gateway reads it: an integer clamped to 1..1000, else 100. */
export function logLinesParam(value: string | null): number {
  if (value === null || !/^\s*[+-]?\d+\s*$/.test(value)) return DEFAULT_LOG_LINES;
  return Math.min(Math.max(1, Number.parseInt(value, 10)), MAX_LOG_LINES);
}

/** One captured line of a server's stdout or stderr. */
export interface ServerLogLine {
  readonly mcp_server_id: string;
  readonly stream: 'stdout' | 'stderr' | (string & {});
  readonly content: string;
  /** Unix seconds. */
  readonly recorded_at: number;
}

/** The lines of a logs answer (entries without text content are skipped), or why it is not one. */
export function decodeServerLogs(body: unknown): { ok: true; lines: ServerLogLine[] } | { ok: false; error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: 'the answer is not a JSON object' };
  const logs = (body as Record<string, unknown>).logs;
  if (!Array.isArray(logs)) return { ok: false, error: 'the answer has no "logs" list' };
  const lines: ServerLogLine[] = [];
  for (const entry of logs.slice(-MAX_LOG_LINES)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (typeof e.content !== 'string') continue;
    lines.push({
      mcp_server_id: typeof e.mcp_server_id === 'string' ? e.mcp_server_id : '',
      stream: typeof e.stream === 'string' ? e.stream : 'stderr',
      content: e.content,
      recorded_at: typeof e.recorded_at === 'number' && Number.isFinite(e.recorded_at) ? e.recorded_at : 0,
    });
  }
  return { ok: true, lines };
}
