import { formatAgo, formatDuration } from '../../format/duration.js';
import type { ColorScheme } from '../../io/color-level.js';
import type { Approval, ApprovalDecision } from '../../protocol/approval.js';
import { stripControl, stripControlLines } from '../../protocol/sanitize.js';
import { plainTable, plainTableLines } from '../plain-table.js';
import { parseIsoMs } from '../../protocol/event-time.js';

/**
 * Pure renderers of approvals for the commands: the list (a table printed
 * once, src/render/plain-table.ts), one approval in full, and the line each decision
 * prints. Every peer string goes through the sanitizer; colors come from the
 * scheme only (identity when off).
 */

/** Approvals expiring sooner than this are highlighted. */
export const EXPIRING_SOON_MS = 60_000;

/** A countdown in whole seconds: `42s`, `4m12s`, `1h02m`; `expired` at or below zero. */
export function formatCountdown(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const seconds = Math.ceil(ms / 1000);
  if (seconds <= 0) return 'expired';
  return formatDuration(seconds * 1000);
}

/** A peer string for one cell or line: sanitized, `-` when missing or empty. */
export function cell(value: string | undefined, fallback = '-'): string {
  if (value === undefined) return fallback;
  const clean = stripControl(value);
  return clean === '' ? fallback : clean;
}

/** Milliseconds until the approval expires (from expires_at), undefined when unknown. */
export function expiresInMs(approval: Approval, nowMs: number): number | undefined {
  const at = approval.expires_at === undefined ? undefined : parseIsoMs(approval.expires_at);
  return at === undefined ? undefined : at - nowMs;
}

/** Oldest first (by requested_at); approvals without a readable time keep their order after the others. */
export function oldestFirst(approvals: readonly Approval[]): Approval[] {
  const at = (a: Approval) => (a.requested_at === undefined ? undefined : parseIsoMs(a.requested_at));
  return approvals
    .map((approval, index) => ({ approval, index, time: at(approval) }))
    .sort((a, b) => (a.time ?? Number.POSITIVE_INFINITY) - (b.time ?? Number.POSITIVE_INFINITY) || a.index - b.index)
    .map((entry) => entry.approval);
}

export interface ApprovalTableContext {
  readonly colors: ColorScheme;
  readonly nowMs: number;
}

/**
 * The list as a table, oldest first. Pending approvals: SERVER, TOOL,
 * REQUESTED BY, WAITING, EXPIRES IN, CHANNEL, ID, and a row expiring within a
 * minute highlighted. Decided ones (--state approved|denied|expired): STATE,
 * DECIDED BY and DECIDED instead of the clock columns.
 */
export function formatApprovalTable(approvals: readonly Approval[], ctx: ApprovalTableContext): string {
  const { colors, nowMs } = ctx;
  const sorted = oldestFirst(approvals);
  const pending = sorted.every((a) => a.state === undefined || a.state === 'pending');
  if (pending) {
    const table = plainTable({ head: ['SERVER', 'TOOL', 'REQUESTED BY', 'WAITING', 'EXPIRES IN', 'CHANNEL', 'ID'].map((title) => colors.bold(title)) });
    for (const a of sorted) {
      const requestedAt = a.requested_at === undefined ? undefined : parseIsoMs(a.requested_at);
      const left = expiresInMs(a, nowMs);
      const soon = left !== undefined && left < EXPIRING_SOON_MS;
      const paint = soon ? colors.warning : (text: string) => text;
      table.push([
        paint(cell(a.provider_id)),
        paint(cell(a.tool_name)),
        cell(a.requested_by),
        requestedAt === undefined ? '-' : formatAgo(nowMs - requestedAt),
        left === undefined ? '-' : soon ? colors.warning(colors.bold(formatCountdown(left))) : formatCountdown(left),
        cell(a.channel),
        colors.dim(cell(a.approval_id)),
      ]);
    }
    return plainTableLines(table).join('\n');
  }
  const table = plainTable({ head: ['SERVER', 'TOOL', 'REQUESTED BY', 'STATE', 'DECIDED BY', 'DECIDED', 'CHANNEL', 'ID'].map((title) => colors.bold(title)) });
  for (const a of sorted) {
    const decidedAt = a.decided_at === undefined ? undefined : parseIsoMs(a.decided_at);
    table.push([
      cell(a.provider_id),
      cell(a.tool_name),
      cell(a.requested_by),
      stateColor(a.state, colors)(cell(a.state)),
      cell(a.decided_by),
      decidedAt === undefined ? '-' : `${formatAgo(nowMs - decidedAt)} ago`,
      cell(a.channel),
      colors.dim(cell(a.approval_id)),
    ]);
  }
  return plainTableLines(table).join('\n');
}

function stateColor(state: string | undefined, colors: ColorScheme): (text: string) => string {
  switch (state) {
    case 'approved':
      return colors.success;
    case 'denied':
      return colors.failure;
    case 'expired':
      return colors.dim;
    case 'pending':
      return colors.warning;
    default:
      return colors.neutral;
  }
}

/** The fields `show` prints, in order, with their labels. */
const SHOWN_FIELDS: readonly (readonly [keyof Approval & string, string])[] = [
  ['approval_id', 'id'],
  ['state', 'state'],
  ['provider_id', 'server'],
  ['tool_name', 'tool'],
  ['requested_by', 'requested by'],
  ['tenant_id', 'tenant'],
  ['channel', 'channel'],
  ['requested_at', 'requested at'],
  ['expires_at', 'expires at'],
  ['decided_by', 'decided by'],
  ['decided_at', 'decided at'],
  ['reason', 'reason'],
];

/**
 * One approval in full: every field on its own line (`state`, `expires at`
 * with the time left while pending), then the arguments as indented JSON,
 * all sanitized (JSON.stringify escapes C0 controls, not C1 controls, bidi
 * overrides or line separators: the sanitizer does).
 */
export function formatApprovalDetails(approval: Approval, ctx: ApprovalTableContext): string[] {
  const { colors, nowMs } = ctx;
  const labelWidth = Math.max(...SHOWN_FIELDS.map(([, label]) => label.length), 'arguments'.length) + 1;
  const lines: string[] = [];
  for (const [field, label] of SHOWN_FIELDS) {
    const value = approval[field];
    if (typeof value !== 'string' || value === '') continue;
    let text = cell(value);
    if (field === 'state') text = stateColor(value, colors)(text);
    if (field === 'expires_at' && (approval.state === undefined || approval.state === 'pending')) {
      const left = expiresInMs(approval, nowMs);
      if (left !== undefined) text += left > 0 ? `  (in ${formatCountdown(left)})` : '  (past)';
    }
    if (field === 'requested_at') {
      const at = parseIsoMs(value);
      if (at !== undefined) text += `  (${formatAgo(nowMs - at)} ago)`;
    }
    lines.push(`${colors.dim(`${label}:`.padEnd(labelWidth))} ${text}`);
  }
  lines.push(`${colors.dim('arguments:')}`);
  const args = approval.arguments === undefined ? '(none given)' : JSON.stringify(approval.arguments, null, 2);
  for (const line of stripControlLines(args ?? 'null').split('\n')) lines.push(`  ${line}`);
  return lines;
}

/** `github create_issue` (or whichever parts are known), for outcome lines and prompts. */
export function describeCall(approval: Pick<Approval, 'provider_id' | 'tool_name'> | undefined): string | undefined {
  if (approval === undefined) return undefined;
  const parts = [approval.provider_id, approval.tool_name].filter((p): p is string => typeof p === 'string' && p !== '').map((p) => stripControl(p));
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** The stdout line of one decision that went through: `approved 3f9c0a1d-... (github create_issue)`. */
export function formatDecided(decision: ApprovalDecision, id: string, approval: Approval | undefined, colors: ColorScheme): string {
  const verb = decision === 'approve' ? colors.success('approved') : colors.failure('denied');
  const call = describeCall(approval);
  return `${verb} ${stripControl(id)}${call !== undefined ? ` (${call})` : ''}`;
}
