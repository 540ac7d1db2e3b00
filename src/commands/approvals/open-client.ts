import { createApprovalsClient, type ApprovalsClient } from '../../client/approvals-client.js';
import { createHttpClient } from '../../client/http.js';
import type { ApprovalsEndpoint } from './options.js';

/**
 * Opens the approvals client of an endpoint over the project's HTTP client
 * (its credentials, CA and TLS settings), runs `use` with it and closes the
 * kept-alive connection after, whatever happens.
 */
export async function openApprovalsClient<T>(endpoint: ApprovalsEndpoint, use: (client: ApprovalsClient) => Promise<T>): Promise<T> {
  const http = createHttpClient({ headers: endpoint.requestHeaders, ca: endpoint.ca, insecure: endpoint.insecure, serverName: 'the gateway' });
  try {
    return await use(createApprovalsClient(endpoint.baseUrl, http));
  } finally {
    http.close();
  }
}
