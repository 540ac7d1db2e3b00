import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { buildHeaders, type HeaderOptions } from '../credentials.js';
import { formatDuration } from '../format/duration.js';
import { parseJson } from '../protocol/decode.js';
import { describeSocketError, isKnownSocketError } from './close-reasons.js';

/**
 * The one HTTP(S) client of the project: the fleet snapshot, publish and the
 * approvals client talk through it. A client holds what every request of a
 * command shares (credentials, headers, CA, timeout, one kept-alive
 * connection); a request is a method, a URL and an optional body; the answer
 * is its status with the body as text and, when it is JSON, parsed. Any
 * status is an answer; only a failure to get one rejects, with an HttpError
 * worded by close-reasons.ts and never holding a credential.
 */

/** What every request of one client shares. */
export interface HttpClientOptions {
  /** API key (X-API-Key or the configured header), bearer token and -H headers, built by credentials.ts. */
  readonly credentials?: HeaderOptions;
  /** More headers for every request (after the credentials; a request's own headers win over both). */
  readonly headers?: Readonly<Record<string, string>>;
  /** CA certificate(s) (PEM) trusted for https:// besides the system's. */
  readonly ca?: string | Buffer | undefined;
  /** Skip certificate verification (testing only). */
  readonly insecure?: boolean;
  /** Give up on a request with no answer after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Largest answer body read; a longer one fails the request (default 8 MiB). */
  readonly maxResponseBytes?: number;
  /** Sent as User-Agent (default `hangar-events`). */
  readonly userAgent?: string;
  /** Names what should be listening, for a refused connection (default `the server`). */
  readonly serverName?: string;
}

/** One request. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: URL | string;
  /** Headers of this request only. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A body sent as JSON (Content-Type application/json). */
  readonly json?: unknown;
  /** A body sent as it is, with its content type (e.g. NDJSON); not with `json`. */
  readonly body?: { readonly text: string | Buffer; readonly contentType: string };
}

/** An answer, whatever its status. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as UTF-8 text (peer text: sanitize before showing it). */
  readonly text: string;
  /** The body parsed, when it is JSON; undefined otherwise. */
  readonly json: unknown;
}

/** Why no answer came: `code` is Node's (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ...) or `ETOOLARGE`; the message says it in words. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HttpError';
  }
}

export interface HttpClient {
  /** Sends one request; resolves with the answer (any status), rejects with an HttpError when none came. */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Closes the kept-alive connections; the client is not used after. */
  close(): void;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** A client for requests sharing `options`; requests go one after another over one kept-alive connection per scheme. */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const shared: Record<string, string> = {
    Accept: 'application/json',
    'User-Agent': options.userAgent ?? 'hangar-events',
    ...buildHeaders(options.credentials ?? {}),
    ...options.headers,
  };
  let httpAgent: HttpAgent | undefined;
  let httpsAgent: HttpsAgent | undefined;

  return {
    request(request) {
      const url = typeof request.url === 'string' ? new URL(request.url) : request.url;
      const secure = url.protocol === 'https:';
      const agent = secure
        ? (httpsAgent ??= new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: options.ca, rejectUnauthorized: options.insecure !== true }))
        : (httpAgent ??= new HttpAgent({ keepAlive: true, maxSockets: 1 }));
      const payload =
        request.json !== undefined ? Buffer.from(JSON.stringify(request.json), 'utf8') : request.body ? Buffer.from(request.body.text) : undefined;
      const headers: Record<string, string> = { ...shared, ...request.headers };
      if (payload !== undefined) {
        headers['Content-Type'] = request.json !== undefined ? 'application/json' : request.body!.contentType;
        headers['Content-Length'] = String(payload.length);
      }
      return new Promise<HttpResponse>((resolve, reject) => {
        let settled = false;
        const fail = (error: unknown) => {
          if (settled) return;
          settled = true;
          reject(toHttpError(error, options.serverName));
        };
        const tls = secure ? { ca: options.ca, rejectUnauthorized: options.insecure !== true } : {};
        const req = (secure ? httpsRequest : httpRequest)(url, { method: request.method, agent, headers, timeout: timeoutMs, ...tls }, (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (settled) return;
            size += chunk.length;
            if (size > maxBytes) {
              fail(new HttpError(`the answer is larger than ${maxBytes} bytes`, 'ETOOLARGE'));
              req.destroy();
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', fail);
          res.on('end', () => {
            if (settled) return;
            settled = true;
            const text = Buffer.concat(chunks).toString('utf8');
            const parsed = parseJson(text);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parsed.ok ? parsed.value : undefined });
          });
        });
        req.on('timeout', () => {
          fail(Object.assign(new Error(`no answer within ${formatDuration(timeoutMs)}`), { code: 'ETIMEDOUT' }));
          req.destroy();
        });
        req.on('error', fail);
        req.end(payload);
      });
    },
    close() {
      httpAgent?.destroy();
      httpsAgent?.destroy();
    },
  };
}

function toHttpError(error: unknown, serverName: string | undefined): HttpError {
  if (error instanceof HttpError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // A known cause is said in words; an unknown one is kept for describeError to show.
  return new HttpError(describeSocketError(error, serverName), code, isKnownSocketError(error) ? undefined : { cause: error });
}
