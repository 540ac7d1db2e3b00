import { UsageError } from '../errors.js';
import { compilePath, getPath, type FieldPath } from '../protocol/field-path.js';

/**
 * `--where` predicates on event fields, compiled once:
 *
 *   field=value  field!=value  field>n  field>=n  field<n  field<=n
 *   field~regex  field!~regex  field  !field
 *
 * `field` is a dotted path into nested objects (`identity_context.user`).
 * Comparison is numeric when the value reads as a number and the field
 * holds a number (for `>`, `>=`, `<`, `<=` also a string that reads as one;
 * anything else then fails), by string otherwise (JSON text for objects,
 * `true`, `null`). `~` is a JavaScript regular expression searched anywhere in the
 * value (anchor with `^`/`$`; `/re/i` for flags). A missing field fails every
 * comparison, so it passes `!=` and `!~`. `field` alone passes when the field
 * is present and not null or false; `!field` when it is missing or null.
 * Spaces around the operator are allowed; quote a value ('...' or "...") to
 * keep its spaces or to start it with an operator character.
 */

type Predicate = (event: Readonly<Record<string, unknown>>) => boolean;
type Operator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~';

/** Operators, longest first so `>=` is not read as `>`. `==` is accepted as `=`. */
const operators: readonly (readonly [string, Operator])[] = [
  ['==', '='], ['!=', '!='], ['!~', '!~'], ['>=', '>='], ['<=', '<='], ['=', '='], ['>', '>'], ['<', '<'], ['~', '~'],
];

/**
 * Compiles every expression; the result is their AND. Throws a UsageError
 * that names `label` (the flag, e.g. `--where`; commands/ passes it) and
 * points at the problem.
 */
export function compileWhere(expressions: readonly string[], label = 'filter'): (event: Record<string, unknown>) => boolean {
  const predicates = expressions.map((expression) => compileExpression(expression, label));
  if (predicates.length === 0) return () => true;
  if (predicates.length === 1) return predicates[0]!;
  return (event) => {
    for (let i = 0; i < predicates.length; i++) if (!predicates[i]!(event)) return false;
    return true;
  };
}

function isOperatorChar(c: string | undefined): boolean {
  return c === '=' || c === '!' || c === '<' || c === '>' || c === '~';
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

function compileExpression(expression: string, label: string): Predicate {
  const fail = (index: number, problem: string): never => {
    throw new UsageError(`invalid ${label} '${expression}': ${problem}\n  ${expression}\n  ${' '.repeat(index)}^`);
  };
  let i = 0;
  while (isSpace(expression[i])) i++;
  if (i >= expression.length) fail(i, 'empty expression: expected a predicate such as duration_ms>500 or error_type=TimeoutError');

  // `!field`: the field is missing.
  let negatedExistence = false;
  if (expression[i] === '!' && expression[i + 1] !== '=' && expression[i + 1] !== '~') {
    negatedExistence = true;
    i++;
  }

  const fieldStart = i;
  while (i < expression.length && !isOperatorChar(expression[i]) && !isSpace(expression[i])) i++;
  const field = expression.slice(fieldStart, i);
  let j = i;
  while (isSpace(expression[j])) j++;

  if (field.length === 0) {
    fail(fieldStart, `missing field name before '${expression[fieldStart] ?? ''}' (column ${fieldStart + 1})`);
  }
  const emptySegment = field.split('.').findIndex((segment) => segment.length === 0);
  if (emptySegment >= 0) fail(fieldStart, `invalid field path '${field}': empty segment between dots`);
  const path = compilePath(field);

  if (j >= expression.length) {
    // `field` or `!field` alone.
    return negatedExistence ? (event) => isAbsent(getPath(event, path)) : (event) => isPresent(getPath(event, path));
  }
  if (negatedExistence) fail(fieldStart - 1, "'!field' takes no operator: write field!=value to compare");
  if (!isOperatorChar(expression[j])) {
    fail(j, `expected an operator (=, !=, >, >=, <, <=, ~, !~) after '${field}' (column ${j + 1})`);
  }

  const found = operators.find(([token]) => expression.startsWith(token, j));
  if (found === undefined) fail(j, `unknown operator '${expression[j]}' (column ${j + 1}): expected =, !=, >, >=, <, <=, ~ or !~`);
  const [token, operator] = found!;
  let k = j + token.length;
  while (isSpace(expression[k])) k++;
  if (isOperatorChar(expression[k]) && !(expression[k] === '!' && !isOperatorChar(expression[k + 1]))) {
    fail(k, `unexpected '${expression[k]}' after operator '${token}' (column ${k + 1}); quote the value if it starts with it`);
  }

  let value = expression.slice(k).replace(/[ \t]+$/, '');
  let quoted = false;
  const quote = value[0];
  if (quote === "'" || quote === '"') {
    if (value.length < 2 || value[value.length - 1] !== quote) fail(k, `unterminated quote ${quote} (column ${k + 1})`);
    value = value.slice(1, -1);
    quoted = true;
  }
  if (!quoted && value.length === 0) fail(k, `missing value after '${token}' (column ${k + 1})`);

  switch (operator) {
    case '~':
    case '!~': {
      const regex = compileRegex(value, (problem) => fail(k, problem));
      return operator === '~' ? (event) => testRegex(regex, getPath(event, path)) : (event) => !testRegex(regex, getPath(event, path));
    }
    case '=':
      return equals(path, value, quoted);
    case '!=': {
      const eq = equals(path, value, quoted);
      return (event) => !eq(event);
    }
    default:
      return compare(path, operator, value, quoted);
  }
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

/** A number literal (JSON-ish: no hex, no empty string), or undefined. */
function numberLiteral(value: string, quoted: boolean): number | undefined {
  if (quoted || value.length === 0) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) return undefined;
  return n;
}

/** The text a field value compares as (strings as they are; objects as JSON). */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      // Too deeply nested to serialise (String() would throw as well): compares as nothing.
      return '';
    }
  }
  return String(value);
}

function equals(path: FieldPath, value: string, quoted: boolean): Predicate {
  const n = numberLiteral(value, quoted);
  return (event) => {
    const actual = getPath(event, path);
    if (actual === undefined) return false;
    if (n !== undefined && typeof actual === 'number') return actual === n;
    return textOf(actual) === value;
  };
}

function compare(path: FieldPath, operator: Operator, value: string, quoted: boolean): Predicate {
  const n = numberLiteral(value, quoted);
  const test = comparator(operator);
  return (event) => {
    const actual = getPath(event, path);
    if (actual === undefined || actual === null) return false;
    if (n !== undefined) {
      if (typeof actual === 'number') return test(actual, n);
      // "12" in a string field still orders as a number against a number.
      const parsed = typeof actual === 'string' ? numberLiteral(actual.trim(), false) : undefined;
      return parsed !== undefined && test(parsed, n);
    }
    const text = textOf(actual);
    return test(text < value ? -1 : text > value ? 1 : 0, 0);
  };
}

function comparator(operator: Operator): (a: number, b: number) => boolean {
  switch (operator) {
    case '>':
      return (a, b) => a > b;
    case '>=':
      return (a, b) => a >= b;
    case '<':
      return (a, b) => a < b;
    case '<=':
      return (a, b) => a <= b;
    default:
      throw new Error(`not an ordering operator: ${operator}`);
  }
}

function compileRegex(value: string, fail: (problem: string) => never): RegExp {
  let source = value;
  let flags = '';
  const slashForm = /^\/(.*)\/([a-z]*)$/s.exec(value);
  if (slashForm) {
    source = slashForm[1]!;
    flags = slashForm[2]!;
  }
  try {
    return new RegExp(source, flags);
  } catch (error) {
    return fail(`bad regular expression: ${(error as Error).message}`);
  }
}

function testRegex(regex: RegExp, value: unknown): boolean {
  if (value === undefined) return false;
  if (regex.global || regex.sticky) regex.lastIndex = 0;
  return regex.test(textOf(value));
}
