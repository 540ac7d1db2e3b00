/**
 * Advice the client's messages give: how the user changes what it was told
 * to do. The client knows no command-line flags; commands/ supplies these
 * phrases with its flag names (commands/tail/flag-hints.ts). The defaults
 * name the settings by what they mean, for any other embedder.
 */
export interface ClientHints {
  /** Why no reconnect is tried, e.g. `not reconnecting: --no-reconnect`. */
  readonly noReconnect: string;
  /** What limited the retries, e.g. `--max-retries`. */
  readonly maxRetries: string;
  /** How to pass a key, e.g. `pass an API key with -k/--api-key, --api-key-file or HANGAR_API_KEY`. */
  readonly giveKey: string;
  /** How to check the key that was sent, e.g. `check the key given with -k/--api-key, ...`. */
  readonly checkKey: string;
  /** How to send the key as a bearer token, e.g. `--bearer`. */
  readonly bearer: string;
  /** The CA certificate setting, e.g. `--ca`. */
  readonly ca: string;
  /** The setting that skips certificate verification, e.g. `--insecure`. */
  readonly insecure: string;
}

export const DEFAULT_CLIENT_HINTS: ClientHints = {
  noReconnect: 'not reconnecting: reconnects are off',
  maxRetries: 'the retry limit',
  giveKey: 'pass an API key',
  checkKey: 'check the API key',
  bearer: 'the bearer option',
  ca: 'the CA option',
  insecure: 'the option that skips verification',
};
