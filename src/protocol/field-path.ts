/**
 * Dotted field paths into an event, shared by the renderers, templates and
 * `--where`: compiled once, looked up per event without string work.
 */

/** A compiled dotted path: `identity_context.user.id` -> ['identity_context', 'user', 'id']. */
export interface FieldPath {
  readonly text: string;
  readonly segments: readonly string[];
}

/** Splits a dotted path once, so per-event lookups do no string work. */
export function compilePath(text: string): FieldPath {
  return { text, segments: text.split('.') };
}

/**
 * The value at a path: a key that literally contains the dots wins
 * (`{"a.b": 1}`), else the path walks nested objects (and array indexes:
 * `arguments.items.0`). Undefined when any step is missing.
 */
export function getPath(event: Readonly<Record<string, unknown>>, path: FieldPath): unknown {
  const segments = path.segments;
  if (segments.length === 1) return Object.hasOwn(event, path.text) ? event[path.text] : undefined;
  if (Object.hasOwn(event, path.text)) return event[path.text];
  let current: unknown = event;
  for (let i = 0; i < segments.length; i++) {
    if (typeof current !== 'object' || current === null) return undefined;
    const key = segments[i]!;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
