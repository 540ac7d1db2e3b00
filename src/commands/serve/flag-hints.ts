import type { ServerHints } from '../../server/options.js';

/** The server's advice in serve's flags (src/server knows no flags). */
export const SERVE_SERVER_HINTS: ServerHints = {
  giveKeys: 'Set HANGAR_API_KEY or --api-key-file (or --api-key)',
  allowNoAuth: 'pass --insecure-no-auth',
  maxClients: '--max-clients',
  maxHttpConnections: '--max-http-connections',
  port: '--port',
  host: '--host',
  allowOrigin: 'start serve with --allow-origin <origin>',
};
