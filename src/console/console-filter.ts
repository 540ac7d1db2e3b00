import { compileEventFilter } from '../filter/event-filter.js';
import type { HangarEvent } from '../protocol/types.js';

/**
 * The console's `/` filter: the flags' language on one line. Words
 * `type=A,B*`, `exclude=X`, `server=a,b` and `group=g` filter as -t, -x, -s
 * and --group do; any other word is a `--where` expression (`duration_ms>500`,
 * `error_type=TimeoutError`, `identity_context.user_id=user:ada`). Words are
 * ANDed. Pure.
 */

export interface ConsoleFilter {
  /** What was typed (trimmed). */
  readonly text: string;
  readonly matches: (event: HangarEvent) => boolean;
}

const LIST_KEYS = new Set(['type', 'exclude', 'server', 'group']);

/** The typed filter compiled, or the reason it does not parse (a predicate that points at the problem). */
export function parseConsoleFilter(text: string): { ok: true; filter: ConsoleFilter | undefined } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, filter: undefined };
  const lists: Record<string, string[]> = { type: [], exclude: [], server: [], group: [] };
  const where: string[] = [];
  for (const word of trimmed.split(/\s+/u)) {
    const eq = word.indexOf('=');
    const key = eq > 0 ? word.slice(0, eq) : '';
    if (LIST_KEYS.has(key) && word[eq - 1] !== '!') {
      const values = word.slice(eq + 1).split(',').filter((v) => v !== '');
      if (values.length === 0) return { ok: false, error: `${key}= needs a value, e.g. ${key === 'type' ? 'type=ToolInvocation*' : `${key}=github`}` };
      lists[key]!.push(...values);
    } else {
      where.push(word);
    }
  }
  try {
    const compiled = compileEventFilter({ types: lists.type!, excludeTypes: lists.exclude!, servers: lists.server!, groups: lists.group!, where, whereLabel: 'filter' });
    return { ok: true, filter: { text: trimmed, matches: compiled.matches ?? (() => true) } };
  } catch (error) {
    // The prompt is one line: the message's first line (a caret drawing under it would need two).
    return { ok: false, error: (error as Error).message.split('\n')[0]!.trim() };
  }
}
