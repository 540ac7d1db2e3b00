import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { decodeServerLogs, serverLogsPath, type ServerLogLine } from '../protocol/server-logs.js';
import { snapshotUrlFor, type SnapshotRequestOptions } from './fleet-snapshot.js';

/** Largest logs answer read. */
export const MAX_LOGS_BYTES = 2 * 1024 * 1024;

/** The logs URL of server `id` next to a stream URL (as the fleet snapshot's: same host, prefix and ?token=). */
export function serverLogsUrlFor(streamUrl: string, serverId: string, lines: number): URL {
  const url = snapshotUrlFor(streamUrl);
  url.pathname = url.pathname.replace(/\/api\/mcp_servers$/u, serverLogsPath(serverId));
  url.searchParams.set('lines', String(lines));
  return url;
}

/**
 * GET /api/mcp_servers/{id}/logs?lines=N with the stream's credentials.
 * Resolves to the lines (oldest first), or rejects with an Error that says
 * what went wrong (HTTP status, not JSON, too large, timeout, network) and
 * never carries a credential.
 */
export function fetchServerLogs(streamUrl: string, serverId: string, lines: number, options: SnapshotRequestOptions = {}): Promise<ServerLogLine[]> {
  const url = serverLogsUrlFor(streamUrl, serverId, lines);
  const secure = url.protocol === 'https:';
  const where = '/api/mcp_servers/{id}/logs';
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
          const why =
            status === 401 || status === 403 ? ' (the credential lacks mcp_servers:read?)' : status === 404 ? ' (no such server, or no logs endpoint on this server)' : '';
          reject(new Error(`GET ${where} answered HTTP ${status}${why}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_LOGS_BYTES) {
            req.destroy(new Error(`GET ${where}: the answer is larger than ${MAX_LOGS_BYTES} bytes`));
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
            reject(new Error(`GET ${where}: the answer is not JSON`));
            return;
          }
          const decoded = decodeServerLogs(body);
          if (decoded.ok) resolve(decoded.lines);
          else reject(new Error(`GET ${where}: ${decoded.error}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${where}: no answer within ${Math.round((options.timeoutMs ?? 10_000) / 1000)}s`)));
    req.on('error', reject);
    req.end();
  });
}
