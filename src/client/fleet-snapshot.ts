import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { decodeFleetSnapshot, MCP_SERVERS_PATH, type FleetServer } from '../protocol/fleet-snapshot.js';
import { EVENTS_PATH } from '../protocol/types.js';

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
export function fetchFleetSnapshot(streamUrl: string, options: SnapshotRequestOptions = {}): Promise<FleetServer[]> {
  const url = snapshotUrlFor(streamUrl);
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        headers: { Accept: 'application/json', ...options.headers },
        ...(secure ? { ca: options.ca, rejectUnauthorized: options.insecure !== true } : {}),
        timeout: options.timeoutMs ?? 10_000,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          const why = status === 401 || status === 403 ? ' (the credential lacks mcp_servers:read?)' : status === 404 ? ' (no such endpoint on this server)' : '';
          reject(new Error(`GET ${url.pathname} answered HTTP ${status}${why}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_SNAPSHOT_BYTES) {
            req.destroy(new Error(`GET ${url.pathname}: the answer is larger than ${MAX_SNAPSHOT_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            reject(new Error(`GET ${url.pathname}: the answer is not JSON`));
            return;
          }
          const decoded = decodeFleetSnapshot(body);
          if (decoded.ok) resolve(decoded.servers);
          else reject(new Error(`GET ${url.pathname}: ${decoded.error}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url.pathname}: no answer within ${Math.round((options.timeoutMs ?? 10_000) / 1000)}s`)));
    req.on('error', reject);
    req.end();
  });
}
