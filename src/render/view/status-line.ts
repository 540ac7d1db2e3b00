import type { ColorScheme } from '../../io/color-level.js';
import { truncate } from '../table/text.js';

/**
 * The one-line status of an interactive view (pure): the outcome of the last
 * action (`approved ... (github create_issue)`, a refusal, "sending..."),
 * shown in its tone, dimmed once it is old so a new one stands out. Text is
 * plain and already sanitized by whoever set it.
 */

export type StatusTone = 'info' | 'success' | 'failure' | 'warning';

export interface StatusMessage {
  readonly text: string;
  readonly tone: StatusTone;
  /** When it was set (wall clock, ms). */
  readonly atMs: number;
}

/** A status stays in its tone this long, then is dimmed. */
export const STATUS_FRESH_MS = 10_000;

export function statusMessage(text: string, tone: StatusTone, atMs: number): StatusMessage {
  return { text, tone, atMs };
}

/** The status as one line of at most `width` columns; undefined when there is none. */
export function renderStatusLine(status: StatusMessage | undefined, ctx: { readonly colors: ColorScheme; readonly width: number; readonly nowMs: number }): string | undefined {
  if (status === undefined) return undefined;
  const text = truncate(status.text, Math.max(1, ctx.width));
  if (ctx.nowMs - status.atMs >= STATUS_FRESH_MS) return ctx.colors.dim(text);
  const paint = { info: ctx.colors.info, success: ctx.colors.success, failure: ctx.colors.failure, warning: ctx.colors.warning }[status.tone];
  return paint(text);
}
