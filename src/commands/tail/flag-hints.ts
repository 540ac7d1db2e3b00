import type { ClientHints } from '../../client/hints.js';
import type { PipelineHints } from '../../tail/pipeline.js';

/** The client's advice in tail's flags (src/client knows no flags). */
export const TAIL_CLIENT_HINTS: ClientHints = {
  noReconnect: 'not reconnecting: --no-reconnect',
  maxRetries: '--max-retries',
  giveKey: 'pass an API key with -k/--api-key, --api-key-file or HANGAR_API_KEY',
  checkKey: 'check the key given with -k/--api-key, --api-key-file or HANGAR_API_KEY, and --api-key-header if the gateway reads keys from another header',
  bearer: '--bearer',
  ca: '--ca',
  insecure: '--insecure',
};

/** The pipeline's advice in tail's flags. */
export const TAIL_PIPELINE_HINTS: PipelineHints = { history: '--history/--since', noFollow: '--no-follow', stats: '--stats' };
