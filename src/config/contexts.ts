import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Named connection settings, as `nats context` and kubeconfig keep them: a
 * URL, how to find the key, extra headers, a CA. Stored as JSON in the
 * platform's config directory. A key is never stored: only the path of a
 * key file or the name of an environment variable that holds it.
 */

export interface Context {
  readonly url: string;
  /** Path of a key file (absolute), read when the context is used. */
  readonly apiKeyFile?: string | undefined;
  /** Name of the environment variable that holds the key. */
  readonly apiKeyEnv?: string | undefined;
  readonly bearer?: boolean | undefined;
  /** Extra upgrade headers, 'Name: value'. */
  readonly headers?: readonly string[] | undefined;
  /** CA certificate file (absolute). */
  readonly ca?: string | undefined;
  readonly insecure?: boolean | undefined;
}

export interface ContextConfig {
  /** The context `context use` selected, if any. */
  readonly current?: string | undefined;
  readonly contexts: Readonly<Record<string, Context>>;
}

/** Context names: letters, digits, `.`, `_`, `-`; at most 64. */
export const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Where the config lives: `$XDG_CONFIG_HOME/hangar-events/config.json`
 * (else `~/.config/...`) on Linux and other Unixes,
 * `~/Library/Application Support/hangar-events/config.json` on macOS,
 * `%APPDATA%\hangar-events\config.json` on Windows. `HANGAR_CONFIG` names
 * another file.
 */
export function configPath(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): string {
  if (nonEmpty(env.HANGAR_CONFIG)) return env.HANGAR_CONFIG!;
  const home = nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE) ?? '.';
  if (platform === 'win32') return join(nonEmpty(env.APPDATA) ?? join(home, 'AppData', 'Roaming'), 'hangar-events', 'config.json');
  if (platform === 'darwin' && !nonEmpty(env.XDG_CONFIG_HOME)) return join(home, 'Library', 'Application Support', 'hangar-events', 'config.json');
  return join(nonEmpty(env.XDG_CONFIG_HOME) ?? join(home, '.config'), 'hangar-events', 'config.json');
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads the config; a missing file is an empty config. Throws ConfigError for a file that is not ours. */
export async function readConfig(path: string): Promise<ContextConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} };
    throw new ConfigError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON (${(error as Error).message}): fix or remove it`);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { contexts?: unknown }).contexts !== 'object') {
    throw new ConfigError(`${path} has no "contexts" object: fix or remove it`);
  }
  const config = parsed as { current?: unknown; contexts: Record<string, unknown> };
  const contexts: Record<string, Context> = {};
  for (const [name, value] of Object.entries(config.contexts ?? {})) {
    if (typeof value !== 'object' || value === null || typeof (value as { url?: unknown }).url !== 'string') {
      throw new ConfigError(`${path}: context '${name}' has no "url": fix it or remove it (hangar-events context remove ${name})`);
    }
    if ('apiKey' in value || 'api_key' in value) {
      throw new ConfigError(`${path}: context '${name}' holds a key in clear: keys are stored only as "apiKeyFile" or "apiKeyEnv"; remove it and add the context again`);
    }
    contexts[name] = value as Context;
  }
  return { current: typeof config.current === 'string' ? config.current : undefined, contexts };
}

/** Writes the config (mode 0600, via a temporary file, so a crash never leaves half a file). */
export async function writeConfig(path: string, config: ContextConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // node:crypto is loaded here, not at the top: a command that only reads the config does not pay for it.
  const { randomBytes } = await import('node:crypto');
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/** Query parameter and header names that carry a credential (`?token=`, `X-API-Key`, `Authorization`, cookies, signatures). */
const CREDENTIAL_NAME = /token|key|secret|passw|auth|cookie|session|signature|^sig$|credential/i;

/**
 * Where a context's settings would hold a credential in clear, as a phrase
 * ("the URL's user:password", "the URL's query parameter 'token'", "the
 * header 'X-API-Key'"), or undefined. Never includes the credential itself.
 */
export function credentialIn(context: Pick<Context, 'url' | 'headers'>): string | undefined {
  const url = parseLoosely(context.url);
  if (url !== undefined) {
    if (url.username !== '' || url.password !== '') return "the URL's user:password";
    for (const name of url.searchParams.keys()) if (CREDENTIAL_NAME.test(name)) return `the URL's query parameter '${safeName(name)}'`;
  } else if (/\/\/[^/@\s]*@/.test(context.url)) {
    return "the URL's user:password";
  }
  for (const header of context.headers ?? []) {
    const name = header.slice(0, Math.max(0, header.indexOf(':'))).trim();
    if (CREDENTIAL_NAME.test(name)) return `the header '${safeName(name)}'`;
  }
  return undefined;
}

/**
 * A context as it may be printed: the URL without user:password or query,
 * and the value of every header that carries a credential replaced by `***`.
 */
export function redactContext(context: Context): Context {
  const url = parseLoosely(context.url);
  let shown = context.url;
  if (url !== undefined) {
    url.username = '';
    url.password = '';
    for (const name of [...url.searchParams.keys()]) if (CREDENTIAL_NAME.test(name)) url.searchParams.set(name, '***');
    shown = url.href;
  } else {
    shown = shown.replace(/(\/\/)[^/@\s]*@/, '$1').replace(/\?\S*/, '');
  }
  const headers = context.headers?.map((header) => {
    const colon = header.indexOf(':');
    const name = header.slice(0, Math.max(0, colon)).trim();
    return colon > 0 && CREDENTIAL_NAME.test(name) ? `${name}: ***` : header;
  });
  return { ...context, url: shown, ...(headers !== undefined ? { headers } : {}) };
}

/**
 * Warnings about who can change the config (empty when it is safe): a file or
 * directory writable by group or others, or owned by another user, could point
 * tail at another URL and have it send any environment variable as a key.
 * Nothing to say on Windows or for a file that does not exist.
 */
export async function configWarnings(path: string, uid: number | undefined): Promise<string[]> {
  if (uid === undefined) return [];
  const warnings: string[] = [];
  for (const [what, target] of [['file', path], ['directory', dirname(path)]] as const) {
    let info;
    try {
      info = await stat(target);
    } catch {
      continue;
    }
    const mode = (info.mode & 0o777).toString(8).padStart(3, '0');
    if ((info.mode & 0o022) !== 0) {
      warnings.push(`the config ${what} ${target} is writable by ${(info.mode & 0o002) !== 0 ? 'anyone' : 'its group'} (mode ${mode}): whoever can change it can point tail at another URL and have it send any environment variable as a key; run chmod ${what === 'file' ? '600' : '700'} ${target}`);
    }
    if (info.uid !== uid && info.uid !== 0) {
      warnings.push(`the config ${what} ${target} belongs to another user (uid ${info.uid}, you are ${uid}): its owner can point tail at another URL and have it send any environment variable as a key; use a config of your own (HANGAR_CONFIG=FILE)`);
    }
  }
  return warnings;
}

function parseLoosely(text: string): URL | undefined {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `ws://${text}`);
  } catch {
    return undefined;
  }
}

/** A parameter or header name for a message: printable ASCII, at most 40 characters. */
function safeName(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '?').slice(0, 40);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}
