import { redactContext, type ContextConfig } from '../../config/contexts.js';
import { stripControl } from '../../protocol/sanitize.js';
import { plainTable, plainTableLines } from '../../render/plain-table.js';

/**
 * `context list`: a table printed once, as `kubectl config get-contexts`
 * prints its own: CURRENT (`*`), NAME, URL (credentials redacted), KEY (where
 * the key is read from: `$VAR`, a file, or `-`), TLS (`ca FILE`, `insecure`
 * or `-`). Every string is sanitized: the file may have been written by hand.
 * Empty without contexts (the caller says so on stderr).
 */
export function formatContextList(config: ContextConfig): string {
  const names = Object.keys(config.contexts);
  if (names.length === 0) return '';
  const table = plainTable({ head: ['CURRENT', 'NAME', 'URL', 'KEY', 'TLS'] });
  for (const name of names) {
    const context = redactContext(config.contexts[name]!);
    const key = context.apiKeyEnv !== undefined ? `$${context.apiKeyEnv}` : context.apiKeyFile !== undefined ? `file ${context.apiKeyFile}` : '-';
    const tls = context.insecure ? 'insecure' : context.ca !== undefined ? `ca ${context.ca}` : '-';
    table.push([name === config.current ? '*' : '', name, context.url, `${key}${context.bearer ? ' (bearer)' : ''}`, tls].map((cell) => stripControl(cell)));
  }
  return `${plainTableLines(table).join('\n')}\n`;
}
