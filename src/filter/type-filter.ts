import { EVENT_CATALOG, lookupEventType, suggest } from '../protocol/catalog.js';
import { matchesGatewayPattern } from '../protocol/filter.js';

/**
 * `-t/--type` and `-x/--exclude-type`, split between what the server can
 * evaluate and what tail must apply itself. A gateway silently ignores a
 * pattern it cannot evaluate (`Health*`), which would match nothing; so such
 * patterns are never sent: the server-side filter is widened to everything
 * and the exact filter runs locally. The output is the same against a
 * gateway and against serve.
 */
export interface TypeFilter {
  /**
   * `event_types` for the subscribe message; `undefined` means omit the key
   * (everything). Never an empty list (which would match nothing).
   */
  serverPatterns: string[] | undefined;
  /** The exact filter: includes (OR) minus excludes. */
  matches(eventType: string): boolean;
  /** True when every type matches (no include pattern narrows, no exclude). */
  all: boolean;
  /** Exact names (no pattern characters) that are not in the catalog, for a did-you-mean. */
  unknown: string[];
  /** Exact names of types a current gateway never emits, with the reason (or, for a deprecated alias, the current name). */
  neverEmitted: { name: string; reason: string; current?: string }[];
}

type Matcher = (eventType: string) => boolean;

const MATCH_CACHE_LIMIT = 4096;

/**
 * Compiles include and exclude patterns. Each is an exact name
 * (`HealthCheckFailed`), a shell glob (`*Failed`, `Tool*`, `Health?heck*`,
 * `[HT]*`, `[!T]*`; `*` and `?` do not cross a `/`), or a gateway segment
 * pattern (`tools/*`, `*` alone = everything). Matching is case-sensitive,
 * like the gateway's. Empty include = every type not excluded.
 */
export function compileTypeFilter(include: readonly string[], exclude: readonly string[]): TypeFilter {
  const includes = unique(include);
  const excludes = unique(exclude);
  const includeAll = includes.length === 0 || includes.includes('*');
  const serverEvaluable = includes.every(isServerEvaluable);
  const serverPatterns = includeAll || !serverEvaluable ? undefined : includes;

  const includeMatcher: Matcher = includeAll ? () => true : anyOf(includes.map(compilePattern));
  const excludeMatcher: Matcher | undefined = excludes.length === 0 ? undefined : anyOf(excludes.map(compilePattern));
  const exact: Matcher = excludeMatcher === undefined ? includeMatcher : (type) => includeMatcher(type) && !excludeMatcher(type);

  // Few distinct types flow through a tail: remember the answer per type.
  const cache = new Map<string, boolean>();
  const matches = (eventType: string): boolean => {
    let answer = cache.get(eventType);
    if (answer === undefined) {
      answer = exact(eventType);
      if (cache.size >= MATCH_CACHE_LIMIT) cache.clear();
      cache.set(eventType, answer);
    }
    return answer;
  };

  const unknown = unique([...includes, ...excludes].filter((p) => !isPattern(p) && lookupEventType(p) === undefined));
  const neverEmitted = unique(includes.filter((p) => !isPattern(p)))
    .map((name) => ({ name, info: lookupEventType(name) }))
    .filter(({ info }) => info !== undefined && !info.emitted)
    .map(({ name, info }) =>
      info!.aliasOf !== undefined
        ? { name, reason: 'a pre-rename alias that only old gateways write', current: info!.aliasOf }
        : { name, reason: info!.notEmittedBecause ?? 'not published by a current gateway' },
    );
  return { serverPatterns, matches, all: includeAll && excludeMatcher === undefined, unknown, neverEmitted };
}

const KNOWN_NAMES = EVENT_CATALOG.map((info) => info.name);

/** Known type names close to `name` (case-insensitive match first, then edit distance), for a did-you-mean. */
export function suggestTypes(name: string): string[] {
  // A pre-rename name (`ProviderStarted`) suggests its current form first.
  const renamed = name.startsWith('Provider') ? `McpServer${name.slice('Provider'.length)}` : undefined;
  const current = renamed !== undefined && lookupEventType(renamed) !== undefined ? [renamed] : [];
  return [...new Set([...current, ...suggest(name, KNOWN_NAMES)])].slice(0, 3);
}

/** Whether a pattern has any pattern character (`*`, `?`, `[`). */
export function isPattern(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?') || pattern.includes('[');
}

/**
 * Whether the gateway evaluates a pattern the way tail means it: an exact
 * name, `*`, or `/`-separated segments that are each `*` or plain. `?` and
 * `[` have no meaning to the gateway (it would compare them literally).
 */
export function isServerEvaluable(pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.includes('?') || pattern.includes('[')) return false;
  if (!pattern.includes('*')) return true;
  if (!pattern.includes('/')) return false;
  return pattern.split('/').every((segment) => segment === '*' || !segment.includes('*'));
}

function compilePattern(pattern: string): Matcher {
  if (!isPattern(pattern)) return (type) => type === pattern;
  if (isServerEvaluable(pattern)) return (type) => matchesGatewayPattern(pattern, type);
  const regex = globToRegExp(pattern);
  return (type) => regex.test(type);
}

function anyOf(matchers: readonly Matcher[]): Matcher {
  if (matchers.length === 1) return matchers[0]!;
  return (type) => {
    for (let i = 0; i < matchers.length; i++) if (matchers[i]!(type)) return true;
    return false;
  };
}

/** Shell glob to an anchored RegExp: `*` any run and `?` one character (neither crosses `/`), `[...]`/`[!...]` classes. */
export function globToRegExp(glob: string): RegExp {
  let source = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') {
      while (glob[i + 1] === '*') i++;
      source += '[^/]*';
    } else if (ch === '?') {
      source += '[^/]';
    } else if (ch === '[') {
      const end = classEnd(glob, i);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      source += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (c) => (c === '^' ? '\\^' : `\\${c}`))}]`;
      i = end;
    } else {
      source += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
  }
  return new RegExp(`${source}$`);
}

/** Index of the `]` closing a class that opens at `start`, or -1 (then `[` is literal). A `]` right after `[` or `[!` is a member. */
function classEnd(glob: string, start: number): number {
  let i = start + 1;
  if (glob[i] === '!' || glob[i] === '^') i++;
  if (glob[i] === ']') i++;
  const end = glob.indexOf(']', i);
  return end;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
