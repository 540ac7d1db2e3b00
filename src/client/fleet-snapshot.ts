import { decodeFleetSnapshot, MCP_SERVERS_PATH, type FleetServer } from '../protocol/fleet-snapshot.js';
import { EVENTS_PATH } from '../protocol/types.js';
import { createHttpClient, type HttpResponse } from './http.js';

/** How the snapshot is fetched: the stream's own credentials and TLS settings. */
export interface SnapshotRequestOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly ca?: string | Buffer | undefined;
  readonly insecure?: boolean;
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
}

/** Largest snapshot body read. */
export const MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024;

/**
 * The snapshot URL next to a stream URL: ws(s)://host/prefix/api/ws/events ->
 * http(s)://host/prefix/api/mcp_servers (a gateway behind a path prefix keeps
 * it); a stream at another path gets /api/mcp_servers at the root. A
 * `?token=` credential is kept, the rest of the query is not.
 */
export function snapshotUrlFor(streamUrl: string): URL {
  const url = new URL(streamUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  const prefix = url.pathname.endsWith(EVENTS_PATH) ? url.pathname.slice(0, -EVENTS_PATH.length) : '';
  url.pathname = `${prefix}${MCP_SERVERS_PATH}`;
  // A key given as ?token= (the stream accepts it) goes along; nothing else of the stream's query.
  const token = url.searchParams.get('token');
  url.search = token !== null ? `?${new URLSearchParams({ token }).toString()}` : '';
  url.hash = '';
  return url;
}

/**
 * GET /api/mcp_servers with the stream's credentials. Resolves to the
 * servers, or rejects with an Error that says what went wrong (HTTP status,
 * not JSON, too large, timeout, network); never with a credential in it.
 */
export async function fetchFleetSnapshot(streamUrl: string, options: SnapshotRequestOptions = {}): Promise<FleetServer[]> {
  const url = snapshotUrlFor(streamUrl);
  const client = createHttpClient({
    headers: options.headers ?? {},
    ca: options.ca,
    insecure: options.insecure === true,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxResponseBytes: MAX_SNAPSHOT_BYTES,
  });
  let answer: HttpResponse;
  try {
    answer = await client.request({ method: 'GET', url });
  } catch (error) {
    throw new Error(`GET ${url.pathname}: ${(error as Error).message}`, { cause: error });
  } finally {
    client.close();
  }
  const { status } = answer;
  if (status !== 200) {
    const why = status === 401 || status === 403 ? ' (the credential lacks mcp_servers:read?)' : status === 404 ? ' (no such endpoint on this server)' : '';
    throw new Error(`GET ${url.pathname} answered HTTP ${status}${why}`);
  }
  if (answer.json === undefined) throw new Error(`GET ${url.pathname}: the answer is not JSON`);
  const decoded = decodeFleetSnapshot(answer.json);
  if (!decoded.ok) throw new Error(`GET ${url.pathname}: ${decoded.error}`);
  return decoded.servers;
}
