import { UsageError } from '../errors.js';
import type { ColorScheme } from '../io/color-level.js';
import { serverIdentityOf } from '../protocol/server-identity.js';
import type { HangarEvent } from '../protocol/types.js';
import { compilePath, getPath, type FieldPath } from '../protocol/field-path.js';
import { formatValue } from './fields.js';
import { severityOf } from './event-severity.js';
import { colorOfSeverity } from './severity.js';
import { formatTime, type TimeMode } from './time-format.js';
import { eventTimeMs } from '../protocol/event-time.js';

/**
 * `--format` templates: literal text with `{field}` and `{nested.path}`
 * placeholders; `{{` and `}}` write literal braces, `\t` a tab (for TSV)
 * and `\\` a backslash. Three names are computed
 * when the event has no field of that name: `{time}` (the event time in the
 * `--time` mode, ISO by default), `{server}` (the server identity:
 * mcp_server_id, provider_id, mcp_server_name, provider_name, mcp_server) and
 * `{severity}` (info, success, warning, error, security). A missing field
 * renders as `-`. Values are sanitized; objects render as compact JSON.
 */

/** Rendered for a placeholder whose field is missing (or null). */
export const MISSING_VALUE = '-';

type Part = { kind: 'text'; text: string } | { kind: 'field'; path: FieldPath; computed: Computed | undefined };
type Computed = 'time' | 'server' | 'severity';

/** A parsed `--format` template. */
export interface CompiledTemplate {
  readonly source: string;
  readonly parts: readonly Part[];
}

export interface TemplateOptions {
  /** How `{time}` renders; default `iso`. */
  time?: TimeMode;
  /** Reference time for `relative`. */
  nowMs?: number;
}

/**
 * Parses a template once. Throws a UsageError naming `label` (the flag the
 * text came from, e.g. `--format`; commands/ passes it) and the 1-based
 * position for an unclosed `{`, a stray `}` or an empty `{}`.
 */
export function compileTemplate(text: string, label = 'template'): CompiledTemplate {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '{') {
      if (text[i + 1] === '{') {
        literal += '{';
        i += 2;
        continue;
      }
      const close = text.indexOf('}', i + 1);
      const nextOpen = text.indexOf('{', i + 1);
      if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
        throw templateError(label, text, i, `unclosed '{' at position ${i + 1} (write '{{' for a literal brace)`);
      }
      const name = text.slice(i + 1, close).trim();
      if (name.length === 0) throw templateError(label, text, i, `empty placeholder '{}' at position ${i + 1}: write a field name such as {event_type}`);
      if (name.split('.').some((segment) => segment.length === 0)) {
        throw templateError(label, text, i + 1, `invalid field path '${name}' at position ${i + 2}: empty segment`);
      }
      if (literal) parts.push({ kind: 'text', text: literal });
      literal = '';
      parts.push({ kind: 'field', path: compilePath(name), computed: computedName(name) });
      i = close + 1;
      continue;
    }
    if (ch === '}') {
      if (text[i + 1] === '}') {
        literal += '}';
        i += 2;
        continue;
      }
      throw templateError(label, text, i, `unmatched '}' at position ${i + 1} (write '}}' for a literal brace)`);
    }
    if (ch === '\\' && (text[i + 1] === 't' || text[i + 1] === '\\')) {
      literal += text[i + 1] === 't' ? '\t' : '\\';
      i += 2;
      continue;
    }
    literal += ch;
    i++;
  }
  if (literal) parts.push({ kind: 'text', text: literal });
  return { source: text, parts };
}

function computedName(name: string): Computed | undefined {
  return name === 'time' || name === 'server' || name === 'severity' ? name : undefined;
}

function templateError(label: string, text: string, index: number, problem: string): UsageError {
  return new UsageError(`invalid ${label} '${text}': ${problem}\n  ${text}\n  ${' '.repeat(index)}^`);
}

/**
 * Renders one event through a template (no trailing newline). With `colors`,
 * `{event_type}` and `{severity}` are colored by the event's severity and
 * `{time}` is dimmed; everything else is plain.
 */
export function renderTemplate(template: CompiledTemplate, event: HangarEvent, colors?: ColorScheme, options: TemplateOptions = {}): string {
  let out = '';
  const parts = template.parts;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const value = getPath(event, part.path);
    if (value === undefined && part.computed !== undefined) {
      out += renderComputed(part.computed, event, colors, options);
      continue;
    }
    if (value === undefined || value === null) {
      out += MISSING_VALUE;
      continue;
    }
    let text = formatValue(value);
    if (colors && part.path.text === 'event_type') text = colorOfSeverity(colors, severityOf(event))(text);
    out += text;
  }
  return out;
}

function renderComputed(name: Computed, event: HangarEvent, colors: ColorScheme | undefined, options: TemplateOptions): string {
  switch (name) {
    case 'time': {
      const text = formatTime(eventTimeMs(event), options.time === undefined || options.time === 'none' ? 'iso' : options.time, options.nowMs ?? 0).trimEnd();
      return colors ? colors.dim(text) : text;
    }
    case 'server': {
      const server = serverIdentityOf(event);
      return server === undefined ? MISSING_VALUE : formatValue(server);
    }
    case 'severity': {
      const severity = severityOf(event);
      return colors ? colorOfSeverity(colors, severity)(severity) : severity;
    }
  }
}
