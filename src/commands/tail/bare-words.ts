import { UsageError } from '../../errors.js';
import { stripControl } from '../../protocol/sanitize.js';

/** Resolves a host name; rejects with the resolver's error (`code: 'ENOTFOUND'` when no such host exists). */
export type HostLookup = (host: string) => Promise<unknown>;

/**
 * A positional that is a single word (`github`: no scheme, no port, no dot,
 * no path) may be a host on the local network, or a stern habit (`stern
 * github` names what to follow). Which one is decided by the resolver.
 */
export function isBareWord(arg: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(arg.trim()) && arg.trim().toLowerCase() !== 'localhost';
}

/**
 * Fails at once, with a hint, for a bare word no host answers to, instead of
 * retrying a name that will never resolve. A resolver that cannot answer now
 * (EAI_AGAIN, no network) leaves the word to the connection, which retries.
 */
export async function rejectUnresolvedBareWords(words: readonly string[], lookup?: HostLookup): Promise<void> {
  if (words.length === 0) return;
  // The resolver (node:dns) is loaded only when there is a bare word to look up.
  const resolve = lookup ?? (await import('node:dns/promises')).lookup;
  for (const word of words) {
    try {
      await resolve(word);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOTFOUND') continue;
      const name = stripControl(word);
      throw new UsageError(
        `'${name}' is not a URL, not host:port, and no host of that name resolves: did you mean -s ${name}? (tail's arguments are where to connect, ws://host:port, https://host or host:port; -s/--server picks the MCP server)`,
      );
    }
  }
}
