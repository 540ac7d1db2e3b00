import { createHash } from 'node:crypto';

/**
 * What a gateway does to a held call's arguments before it keeps them for
 * `GET /api/approvals` (mcp-hangar `approvals/service.py`): a key whose name
 * says secret becomes `[REDACTED]`; string values are masked where they look
 * like a token (`[REDACTED:<kind>]`). The gateway checks key names at the top
 * level only; serve checks them at every depth (nothing to gain by keeping a
 * nested `password`). And the hash a gateway puts in ToolApprovalRequested:
 * SHA-256 over the raw arguments as `json.dumps(..., sort_keys=True)`.
 */

/** Substrings of a key name that mark its value as secret (compared lower-case). */
const SECRET_KEY_PARTS = ['password', 'token', 'secret', 'key', 'auth', 'credential'];

/** Token shapes masked inside string values, and the name each is masked with. */
const SECRET_VALUE_SHAPES: readonly { readonly pattern: RegExp; readonly replacement: string }[] = [
  ...(
    [
      ['stripe_live_key', /sk_live_[a-zA-Z0-9]{24,}/g],
      ['stripe_test_key', /sk_test_[a-zA-Z0-9]{24,}/g],
      ['stripe_restricted_key', /rk_live_[a-zA-Z0-9]{24,}/g],
      ['stripe_restricted_test_key', /rk_test_[a-zA-Z0-9]{24,}/g],
      ['github_pat', /ghp_[a-zA-Z0-9]{36,}/g],
      ['github_oauth', /gho_[a-zA-Z0-9]{36,}/g],
      ['github_user_token', /ghu_[a-zA-Z0-9]{36,}/g],
      ['github_server_token', /ghs_[a-zA-Z0-9]{36,}/g],
      ['github_refresh_token', /ghr_[a-zA-Z0-9]{36,}/g],
      ['github_fine_grained_pat', /github_pat_[a-zA-Z0-9_]{82}/g],
      ['slack_token', /xox[baprs]-[a-zA-Z0-9-]{10,}/g],
    ] as const
  ).map(([name, pattern]) => ({ pattern, replacement: `[REDACTED:${name}]` })),
  { pattern: /Bearer\s+[a-zA-Z0-9._-]{20,}/gi, replacement: 'Bearer [REDACTED]' },
  { pattern: /api[_-]?key[=:]\s*[a-zA-Z0-9._-]{20,}/gi, replacement: 'api_key=[REDACTED]' },
  ...(
    [
      ['aws_access_key', /AKIA[A-Z0-9]{16}/g],
      ['google_api_key', /AIza[0-9A-Za-z_-]{35}/g],
      ['jwt_token', /eyJ[a-zA-Z0-9_-]{10,}\.[a-zA-Z0-9_-]{8,}(?:\.[a-zA-Z0-9_-]{8,})?/g],
      ['npm_token', /npm_[a-zA-Z0-9]{36}/g],
      ['pypi_token', /pypi-[a-zA-Z0-9_-]{100,}/g],
      // Not in the gateway's list, but its docstring names them: a URL with a password in it.
      ['connection_string', /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s@/]+@/gi],
    ] as const
  ).map(([name, pattern]) => ({ pattern, replacement: `[REDACTED:${name}]` })),
];

/** Depth below which nested values are left as they are (the gateway's cap). */
const MAX_DEPTH = 5;

export const REDACTED = '[REDACTED]';

/** Whether a key name marks its value as secret. */
export function isSecretKey(key: string): boolean {
  const lower = key.toLowerCase();
  return SECRET_KEY_PARTS.some((part) => lower.includes(part));
}

/** Masks token-shaped parts of a string. */
export function redactText(text: string): string {
  let out = text;
  for (const { pattern, replacement } of SECRET_VALUE_SHAPES) out = out.replace(pattern, replacement);
  return out;
}

function scrub(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) return value;
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = isSecretKey(key) ? REDACTED : scrub(item, depth + 1);
    return out;
  }
  return value;
}

/** The arguments as an approval keeps and shows them: secret keys `[REDACTED]`, token-shaped values masked. */
export function redactArguments(args: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return scrub(args, 0) as Record<string, unknown>;
}

/** Python's `json.dumps(value, sort_keys=True)` for JSON values (separators `, ` and `: `, non-ASCII escaped). */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${pythonJsonDumps(k)}: ${pythonJsonDumps((value as Record<string, unknown>)[k])}`).join(', ')}}`;
  }
  return pythonJsonDumps(String(value));
}

/** The `arguments_hash` of ToolApprovalRequested: SHA-256 (hex) of the raw arguments as the gateway serialises them. */
export function hashArguments(args: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(pythonJsonDumps(args), 'utf8').digest('hex');
}
