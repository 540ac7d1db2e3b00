import type { Approval } from '../../protocol/approval.js';
import { MAX_PENDING_APPROVALS, type PendingApproval, type TableState } from '../table/reduce-table.js';
import { cleanLabel } from '../../protocol/sanitize.js';
import { parseIsoMs } from '../../protocol/event-time.js';

/**
 * What `GET /api/approvals` adds to the table's pending approvals (pure):
 * the clock (`expires_at`) and who asked for those the stream announced, and
 * the pending ones requested before tail connected, which the stream never
 * announced. Nothing is removed here: an approval leaves only when its
 * Granted, Denied or Expired event arrives (the event is the truth); `settled`
 * holds the ids whose event already came, so an answer that was on its way
 * meanwhile does not bring one back.
 */
export function mergeApprovalSnapshot(state: TableState, approvals: readonly Approval[], settled: ReadonlySet<string> = new Set()): TableState {
  const merged = new Map(state.approvals);
  let added = false;
  let changed = false;
  for (const approval of approvals) {
    if (approval.state !== undefined && approval.state !== 'pending') continue;
    const id = cleanLabel(approval.approval_id, 80);
    if (id === undefined || settled.has(id)) continue;
    const expiresAtMs = approval.expires_at === undefined ? undefined : parseIsoMs(approval.expires_at);
    const requestedBy = cleanLabel(approval.requested_by, 60);
    const known = merged.get(id);
    if (known !== undefined) {
      const next: PendingApproval = { ...known, expiresAtMs: expiresAtMs ?? known.expiresAtMs, requestedBy: requestedBy ?? known.requestedBy };
      if (next.expiresAtMs !== known.expiresAtMs || next.requestedBy !== known.requestedBy) {
        merged.set(id, next);
        changed = true;
      }
      continue;
    }
    const requestedAtMs = approval.requested_at === undefined ? undefined : parseIsoMs(approval.requested_at);
    merged.set(id, {
      id,
      server: cleanLabel(approval.provider_id, 80) ?? '-',
      tool: cleanLabel(approval.tool_name, 60) ?? '-',
      channel: cleanLabel(approval.channel, 24) ?? '',
      requestedAtMs: requestedAtMs ?? expiresAtMs ?? 0,
      expiresAtMs,
      requestedBy,
    });
    added = true;
  }
  if (!added && !changed) return state;
  // Oldest first, as the stream adds them; the newest are kept beyond the bound.
  const ordered = added ? [...merged.values()].sort((a, b) => a.requestedAtMs - b.requestedAtMs) : [...merged.values()];
  const kept = ordered.slice(Math.max(0, ordered.length - MAX_PENDING_APPROVALS));
  return { ...state, approvals: new Map(kept.map((a) => [a.id, a])) };
}
