import { UsageError } from '../errors.js';
import { redactUrl } from '../format/url.js';
import { DEFAULT_PORT, EVENTS_PATH } from '../protocol/types.js';

/** Where tail connects when neither an argument nor $HANGAR_URL says otherwise. */
export const DEFAULT_URL = `ws://localhost:${DEFAULT_PORT}${EVENTS_PATH}`;

/**
 * Turns what a user types into a WebSocket URL: `ws://` and `wss://` stay,
 * `http(s)://` becomes `ws(s)://`, a bare `host:port` (or `host`) gets `ws://`,
 * and a missing path becomes `/api/ws/events`. Throws a UsageError for
 * anything that is not a URL.
 */
export function normaliseUrl(input: string): string {
  const text = input.trim();
  if (text.length === 0) throw new UsageError('empty URL: expected ws://host:port/api/ws/events, http(s)://host, or host:port');
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text);
  let withScheme: string;
  if (schemeMatch) {
    const scheme = schemeMatch[1]!.toLowerCase();
    const rest = text.slice(schemeMatch[0].length);
    const mapped = scheme === 'http' ? 'ws' : scheme === 'https' ? 'wss' : scheme;
    if (mapped !== 'ws' && mapped !== 'wss') {
      throw new UsageError(`unsupported URL scheme '${scheme}://' in '${redactUrl(text)}': use ws://, wss://, http://, https:// or host:port`);
    }
    withScheme = `${mapped}://${rest}`;
  } else {
    withScheme = `ws://${text}`;
  }
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid URL '${redactUrl(text)}': expected ws://host:port/api/ws/events, http(s)://host, or host:port`);
  }
  if (url.hostname === '') throw new UsageError(`invalid URL '${redactUrl(text)}': no host`);
  if (url.pathname === '' || url.pathname === '/') url.pathname = EVENTS_PATH;
  url.hash = '';
  return url.toString();
}

/**
 * Short labels for merged streams: `host:port`, or `host:port/path` when two
 * URLs share a host and port.
 */
export function sourceLabels(urls: readonly string[]): string[] {
  const hostPorts = urls.map((u) => {
    const parsed = new URL(u);
    const port = parsed.port || (parsed.protocol === 'wss:' ? '443' : '80');
    return `${parsed.hostname}:${port}`;
  });
  return urls.map((u, i) => {
    const hostPort = hostPorts[i]!;
    const clash = hostPorts.filter((h) => h === hostPort).length > 1;
    if (!clash) return hostPort;
    const parsed = new URL(u);
    return redactUrl(`${hostPort}${parsed.pathname}${parsed.search}`);
  });
}
