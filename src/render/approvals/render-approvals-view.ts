import { formatAgo } from '../../format/duration.js';
import type { ColorScheme } from '../../io/color-level.js';
import type { PendingApproval } from '../table/reduce-table.js';
import { fit, truncate, visibleWidth } from '../table/text.js';
import { stripControlLines } from '../../protocol/sanitize.js';
import { scrollTop, settleSelection } from '../view/selection.js';
import { renderStatusLine } from '../view/status-line.js';
import type { ApprovalsViewState } from './approvals-view.js';
import { EXPIRING_SOON_MS, formatCountdown } from './format-approvals.js';

/**
 * The approvals view of the live table, rendered (pure): a title, one row per
 * pending approval with its countdown (the selected one marked), the selected
 * approval's arguments when asked for, the prompt of a decision being made,
 * the status line and the keys. Never wider than `width`, never more than
 * `height` lines; colors from the scheme only.
 */

export interface ApprovalsViewContext {
  readonly colors: ColorScheme;
  readonly width: number;
  readonly height: number;
  readonly nowMs: number;
  /** Where the approvals come from, for the title (the endpoint, without credentials). */
  readonly source?: string | undefined;
}

/** The view's keys, as the last line shows them. */
export const APPROVALS_VIEW_KEYS = '↑/↓ select  Enter arguments  a approve  d deny  r refresh  Esc back  q quit';

interface Column {
  readonly title: string;
  readonly cell: (a: PendingApproval) => string;
  readonly align?: 'right';
}

export function renderApprovalsView(state: ApprovalsViewState, pending: readonly PendingApproval[], ctx: ApprovalsViewContext): string[] {
  const { colors, nowMs } = ctx;
  const width = Math.max(1, ctx.width);
  const line = (text: string, paint?: (t: string) => string) => {
    const cut = truncate(text, width);
    return paint ? paint(cut) : cut;
  };

  const refresh = state.refresh;
  const from = refresh === undefined ? 'from the stream' : refresh.problem !== undefined ? `from the stream (GET /api/approvals failed: ${refresh.problem})` : `refreshed ${formatAgo(nowMs - refresh.atMs)} ago`;
  const title = line(`approvals pending: ${pending.length}  ${from}${ctx.source ? `  ${ctx.source}` : ''}`, colors.bold);

  const bottom: string[] = [];
  const mode = state.mode;
  if (mode.kind === 'confirm') bottom.push(line(`${mode.decision} ${mode.call}? [y/N] `, colors.warning));
  if (mode.kind === 'reason') {
    const label = mode.decision === 'approve' ? 'reason (optional), Enter sends, Esc cancels: ' : 'reason for denying, Enter sends, Esc cancels: ';
    // The end of what is typed stays visible.
    const room = Math.max(1, width - visibleWidth(label) - 1);
    const typed = [...mode.text];
    const shown = typed.length > room ? `…${typed.slice(typed.length - room + 1).join('')}` : mode.text;
    bottom.push(`${colors.warning(truncate(label, width))}${truncate(shown, room)}${colors.bold('_')}`);
  }
  const status = renderStatusLine(state.status, { colors, width, nowMs });
  if (status !== undefined) bottom.push(status);
  bottom.push(line(APPROVALS_VIEW_KEYS, colors.dim));

  if (pending.length === 0) {
    const empty = line('no pending approvals: a held tool call appears here when its ToolApprovalRequested arrives', colors.dim);
    return [title, empty, ...bottom].slice(0, Math.max(1, ctx.height));
  }

  const marks = (a: PendingApproval) => {
    const sending = state.sending.get(a.id);
    if (sending !== undefined) return sending === 'approve' ? 'approving...' : 'denying...';
    const decided = state.decided.get(a.id);
    if (decided !== undefined) return `${decided === 'approve' ? 'approved' : 'denied'}, event pending`;
    return '';
  };
  const allColumns: Column[] = [
    { title: 'SERVER', cell: (a) => a.server },
    { title: 'TOOL', cell: (a) => a.tool },
    { title: 'REQUESTED BY', cell: (a) => a.requestedBy ?? '-' },
    { title: 'WAITING', cell: (a) => formatAgo(nowMs - a.requestedAtMs), align: 'right' },
    { title: 'EXPIRES IN', cell: (a) => (a.expiresAtMs === undefined ? '-' : formatCountdown(a.expiresAtMs - nowMs)), align: 'right' },
    { title: 'CHANNEL', cell: (a) => a.channel || '-' },
    { title: 'ID', cell: (a) => a.id },
    { title: '', cell: marks },
  ];

  // Room: the title and the column titles, the rows (at least three when there are), the arguments pane, the bottom lines.
  // The arguments of an approval that left (its event came) go with it.
  const detailLines = state.details !== undefined && pending.some((a) => a.id === state.details!.id) ? detailsLines(state, width, colors) : [];
  const available = Math.max(1, ctx.height - 2 - bottom.length);
  const detailsRoom = Math.min(detailLines.length, Math.max(0, available - Math.min(pending.length, 3)));
  let rowsRoom = Math.max(1, available - detailsRoom);
  if (pending.length > rowsRoom) rowsRoom = Math.max(1, rowsRoom - 1); // a line says how many are out of sight
  // The selection as the list is now (the first row before any key).
  const selection = settleSelection(state.selection, pending.map((a) => a.id));
  const selectedIndex = selection.index;
  const top = scrollTop(selectedIndex, pending.length, rowsRoom);
  const visible = pending.slice(top, top + rowsRoom);
  // On a narrow terminal CHANNEL, then REQUESTED BY, then WAITING give way, so the ID stays whole.
  let columns = allColumns;
  const widthOf = (column: Column) => Math.max(visibleWidth(column.title), ...visible.map((a) => visibleWidth(column.cell(a))));
  for (const title of ['CHANNEL', 'REQUESTED BY', 'WAITING']) {
    const total = 2 + columns.reduce((sum, column) => sum + widthOf(column) + 2, 0);
    if (total <= width) break;
    columns = columns.filter((column) => column.title !== title);
  }
  const cells = columns.map((column) => visible.map((a) => column.cell(a)));
  const widths = columns.map((column, i) => Math.max(visibleWidth(column.title), ...cells[i]!.map(visibleWidth)));
  const columnIndex = (title: string) => columns.findIndex((column) => column.title === title);

  const rowLine = (texts: readonly string[], paintCell?: (i: number, text: string) => string) =>
    texts
      .map((text, i) => {
        const padded = fit(text, widths[i]!, columns[i]!.align === 'right' ? 'right' : 'left');
        return paintCell ? paintCell(i, padded) : padded;
      })
      .join('  ');
  const fitRow = (prefix: string, texts: readonly string[], paintCell?: (i: number, text: string) => string) => {
    // Cut the plain row to the width first, then paint what is left cell by cell.
    const plain = `${prefix}${rowLine(texts)}`.trimEnd();
    if (visibleWidth(plain) > width || !paintCell) return truncate(plain, width);
    return `${prefix}${rowLine(texts, paintCell)}`.trimEnd();
  };

  const lines = [title, fitRow('  ', columns.map((c) => c.title), (_i, t) => colors.bold(t))];
  visible.forEach((a, row) => {
    const selected = a.id === selection.id;
    const soon = a.expiresAtMs !== undefined && a.expiresAtMs - nowMs < EXPIRING_SOON_MS;
    const texts = cells.map((column) => column[row]!);
    const text = fitRow(selected ? '> ' : '  ', texts, (i, t) =>
      i === columnIndex('EXPIRES IN') && soon ? colors.warning(t) : i === columnIndex('ID') ? colors.dim(t) : i === columns.length - 1 ? colors.info(t) : t,
    );
    lines.push(selected ? colors.bold(text) : text);
  });
  if (pending.length > visible.length) {
    const below = pending.length - top - visible.length;
    lines.push(line(`  ${[top > 0 ? `${top} above` : '', below > 0 ? `${below} below` : ''].filter((p) => p !== '').join('  ')}`, colors.dim));
  }
  lines.push(...detailLines.slice(0, Math.max(0, Math.min(detailsRoom, ctx.height - lines.length - bottom.length))));
  lines.push(...bottom);
  return lines.slice(0, Math.max(1, ctx.height));
}

/** The arguments pane of the approval shown with Enter: loading, failed, or its arguments as indented JSON (sanitized). */
function detailsLines(state: ApprovalsViewState, width: number, colors: ColorScheme): string[] {
  const details = state.details;
  if (details === undefined) return [];
  const head = (text: string) => colors.dim(truncate(text, width));
  if (details.state === 'loading') return [head(`arguments of ${details.id}: asking the gateway...`)];
  if (details.state === 'failed') return [head(`arguments of ${details.id}: `) + colors.failure(truncate(details.message, Math.max(1, width - 20)))];
  const args = details.approval.arguments === undefined ? '(none given)' : (JSON.stringify(details.approval.arguments, null, 2) ?? 'null');
  const by = details.approval.requested_by !== undefined ? `, requested by ${details.approval.requested_by}` : '';
  return [head(`arguments of ${details.id}${stripControlLines(by)} (Enter hides them):`), ...stripControlLines(args).split('\n').map((l) => truncate(`  ${l}`, width))];
}
