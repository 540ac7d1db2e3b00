import { approvalsBaseUrl, createApprovalsClient } from '../client/approvals-client.js';
import { createHttpClient } from '../client/http.js';
import { hasCredentials } from '../credentials.js';
import { displayUrl } from '../format/url.js';
import type { TableApprovals } from './sinks/approvals-controller.js';

/**
 * The approvals API next to the stream the live table follows (its first
 * URL), with the stream's credentials, headers and TLS settings; `close`
 * lets go of its kept-alive connection when the tail ends.
 */
export function openTableApprovals(
  streamUrl: string,
  connection: { readonly requestHeaders: Readonly<Record<string, string>>; readonly apiKeyHeader?: string | undefined; readonly ca: Buffer | undefined; readonly insecure: boolean },
): { readonly approvals: TableApprovals; close(): void } {
  const http = createHttpClient({ headers: connection.requestHeaders, ca: connection.ca, insecure: connection.insecure, serverName: 'the gateway' });
  const baseUrl = approvalsBaseUrl(streamUrl);
  return {
    approvals: {
      client: createApprovalsClient(baseUrl, http),
      displayUrl: displayUrl(baseUrl).replace(/\/$/, ''),
      credentialSent: hasCredentials(connection.requestHeaders, connection.apiKeyHeader),
    },
    close: () => http.close(),
  };
}
