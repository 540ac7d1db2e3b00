import { UsageError } from '../errors.js';
import type { IO } from '../io/io.js';
import type { ConnectionFlags } from './connection-flags.js';

/**
 * Fills what a command's own flags (tail's, approvals') leave open from a context (`context add`):
 * `--context NAME` or `HANGAR_CONTEXT` select one explicitly; otherwise the
 * current context (`context use`) applies unless HANGAR_URL is set. Flags
 * always win; an explicitly selected context's key also wins over
 * HANGAR_API_KEY, the current context's only when HANGAR_API_KEY is unset.
 * Returns the URLs and flags to parse.
 */
export async function applyContext<F extends ConnectionFlags>(urls: readonly string[], flags: F & { context?: string }, io: IO): Promise<{ urls: readonly string[]; flags: F }> {
  const explicit = flags.context ?? nonEmpty(io.env.HANGAR_CONTEXT);
  const { configPath, readConfig, ConfigError, configWarnings } = await import('../config/contexts.js');
  const path = configPath(io.env, process.platform);
  let config;
  try {
    config = await readConfig(path);
    if (Object.keys(config.contexts).length > 0) {
      for (const warning of await configWarnings(path, process.getuid?.())) io.stderr.write(`hangar-events: warning: ${warning}\n`);
    }
  } catch (error) {
    // A broken config only matters when a context is asked for.
    if (explicit === undefined && error instanceof ConfigError) return { urls, flags };
    throw error instanceof ConfigError ? new UsageError(error.message) : error;
  }
  const name = explicit ?? (urls.length === 0 && nonEmpty(io.env.HANGAR_URL) === undefined ? config.current : undefined);
  if (name === undefined) return { urls, flags };
  const context = config.contexts[name];
  if (!context) {
    const where = flags.context !== undefined ? '--context' : explicit !== undefined ? 'HANGAR_CONTEXT' : `the current context in ${path}`;
    const names = Object.keys(config.contexts);
    throw new UsageError(`no context '${name}' (from ${where})${names.length > 0 ? `; there are: ${names.join(', ')}` : '; add one: hangar-events context add NAME --url URL'}`);
  }
  const merged: F = { ...flags };
  const keyGiven = flags.apiKey !== undefined || flags.apiKeyFile !== undefined || (explicit === undefined && nonEmpty(io.env.HANGAR_API_KEY) !== undefined);
  if (!keyGiven) {
    if (context.apiKeyFile !== undefined) merged.apiKeyFile = context.apiKeyFile;
    else if (context.apiKeyEnv !== undefined) {
      const key = nonEmpty(io.env[context.apiKeyEnv]);
      if (key === undefined) throw new UsageError(`context '${name}' reads its key from $${context.apiKeyEnv}, which is not set: export it, or pass -k/--api-key-file`);
      merged.apiKey = key;
    }
  }
  if (flags.bearer === undefined && context.bearer) merged.bearer = true;
  if (context.headers && context.headers.length > 0) merged.header = [...context.headers, ...(flags.header ?? [])];
  if (flags.ca === undefined && context.ca !== undefined) merged.ca = context.ca;
  if (flags.insecure === undefined && context.insecure) merged.insecure = true;
  return { urls: urls.length > 0 ? urls : [context.url], flags: merged };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
