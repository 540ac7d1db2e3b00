import { describeRefusal } from '../../client/approval-refusal.js';
import type { ApprovalsClient } from '../../client/approvals-client.js';
import { describeError } from '../../errors.js';
import type { ColorScheme } from '../../io/color-level.js';
import type { Key } from '../../io/keys.js';
import type { HangarEvent } from '../../protocol/types.js';
import { mergeApprovalSnapshot } from '../../render/approvals/approval-snapshot.js';
import { INITIAL_APPROVALS_VIEW, reduceApprovalsView, type ApprovalsViewState, type ViewAction, type ViewEffect } from '../../render/approvals/approvals-view.js';
import { renderApprovalsView } from '../../render/approvals/render-approvals-view.js';
import type { TableState } from '../../render/table/reduce-table.js';
import { sanitizeForLog } from '../../protocol/sanitize.js';

/**
 * The approvals view of the live table, wired: runs the view's effects
 * against the gateway's approvals API (details, resolve, the list that
 * refreshes the countdowns) and feeds the answers back as actions. The view
 * itself is pure (render/approvals/); this is the only part that waits for
 * the network, and it never throws: every failure becomes a status line.
 */

/** The approvals API of the endpoint the table follows, with what messages call it. */
export interface TableApprovals {
  readonly client: ApprovalsClient;
  /** The REST endpoint without credentials. */
  readonly displayUrl: string;
  /** Whether a credential travels with the requests (for the wording of 401/403). */
  readonly credentialSent: boolean;
}

export interface ApprovalsControllerOptions {
  /** Undefined when there is no gateway to ask (the table reads --store alone). */
  readonly approvals: TableApprovals | undefined;
  readonly getTable: () => TableState;
  readonly setTable: (state: TableState) => void;
  /** Something changed: draw a frame. */
  readonly redraw: () => void;
  readonly quit: () => void;
  readonly nowMs: () => number;
  readonly monotonicMs: () => number;
}

/** The list is asked for again this often while the view is open, for the countdowns. */
export const APPROVALS_REFRESH_MS = 5000;

/** Approval ids whose decision event was seen, remembered at most. */
const SETTLED_LIMIT = 1000;

export class ApprovalsController {
  private view: ApprovalsViewState = INITIAL_APPROVALS_VIEW;
  private opened = false;
  private closed = false;
  private refreshing = false;
  private lastRefreshMs = Number.NEGATIVE_INFINITY;
  /** Ids whose Granted/Denied/Expired event came: a list answer on its way does not bring them back. */
  private readonly settled = new Set<string>();

  constructor(private readonly options: ApprovalsControllerOptions) {}

  get isOpen(): boolean {
    return this.opened;
  }

  /** `A`: open the view (and ask for the list at once). */
  open(): void {
    this.opened = true;
    this.refresh();
    this.options.redraw();
  }

  /** The console moved to another view (Tab): the view closes, its state stays for when it comes back. */
  hide(): void {
    this.opened = false;
    this.options.redraw();
  }

  /** A key while the view is open. */
  key(key: Key): void {
    this.dispatch({ type: 'key', key });
  }

  /** Every event the table sees: decisions settle approvals. Returns whether it announced a new approval (for --bell). */
  event(event: HangarEvent): boolean {
    const type = event.event_type;
    if (!type.startsWith('ToolApproval') || typeof event.approval_id !== 'string') return false;
    if (type === 'ToolApprovalRequested') return !this.settled.has(event.approval_id);
    if (type === 'ToolApprovalGranted' || type === 'ToolApprovalDenied' || type === 'ToolApprovalExpired') {
      this.settled.add(event.approval_id);
      if (this.settled.size > SETTLED_LIMIT) this.settled.delete(this.settled.values().next().value!);
    }
    return false;
  }

  /** Called on every frame tick: refreshes the list every APPROVALS_REFRESH_MS while open. */
  tick(): void {
    if (this.opened && this.options.monotonicMs() - this.lastRefreshMs >= APPROVALS_REFRESH_MS) this.refresh();
  }

  render(ctx: { readonly colors: ColorScheme; readonly width: number; readonly height: number }): string[] {
    const nowMs = this.options.nowMs();
    return renderApprovalsView(this.view, this.pending(), { ...ctx, nowMs, source: this.options.approvals?.displayUrl });
  }

  /** The table is closing: answers that arrive later are dropped. */
  close(): void {
    this.closed = true;
  }

  private pending() {
    return [...this.options.getTable().approvals.values()];
  }

  private dispatch(action: ViewAction): void {
    if (this.closed) return;
    const { state, effects } = reduceApprovalsView(this.view, action, {
      pending: this.pending(),
      nowMs: this.options.nowMs(),
      cannotDecide: this.options.approvals === undefined ? 'no gateway to send it to (the table reads an event store only)' : undefined,
    });
    this.view = state;
    for (const effect of effects) this.run(effect);
    this.options.redraw();
  }

  private run(effect: ViewEffect): void {
    switch (effect.type) {
      case 'close':
        this.opened = false;
        return;
      case 'quit':
        this.options.quit();
        return;
      case 'refresh':
        this.refresh();
        return;
      case 'fetch-details':
        void this.fetchDetails(effect.id);
        return;
      case 'resolve':
        void this.resolve(effect);
    }
  }

  /** Asks for the list now (at most one request at a time); the table's approvals line then counts the pending ones the stream never announced. */
  refresh(): void {
    const approvals = this.options.approvals;
    if (approvals === undefined || this.refreshing) return;
    this.refreshing = true;
    this.lastRefreshMs = this.options.monotonicMs();
    approvals.client.list({ state: 'pending' }).then(
      (result) => {
        this.refreshing = false;
        if (this.closed) return;
        if (result.ok) this.options.setTable(mergeApprovalSnapshot(this.options.getTable(), result.value, this.settled));
        this.dispatch({ type: 'refreshed', problem: result.ok ? undefined : this.reason(result.refusal, 'list') });
      },
      (error: unknown) => {
        this.refreshing = false;
        this.dispatch({ type: 'refreshed', problem: sanitizeForLog(describeError(error), 120) });
      },
    );
  }

  private async fetchDetails(id: string): Promise<void> {
    const approvals = this.options.approvals;
    if (approvals === undefined) {
      this.dispatch({ type: 'details', id, result: { ok: false, message: 'no gateway to ask (the event carries only a hash of the arguments)' } });
      return;
    }
    try {
      const result = await approvals.client.get(id);
      this.dispatch({ type: 'details', id, result: result.ok ? { ok: true, approval: result.value } : { ok: false, message: this.reason(result.refusal, 'show', id) } });
    } catch (error) {
      this.dispatch({ type: 'details', id, result: { ok: false, message: sanitizeForLog(describeError(error), 160) } });
    }
  }

  private async resolve(effect: Extract<ViewEffect, { type: 'resolve' }>): Promise<void> {
    const approvals = this.options.approvals!;
    const { id, decision, call } = effect;
    try {
      const result = await approvals.client.resolve(id, decision, effect.reason);
      if (result.ok) {
        this.dispatch({ type: 'resolved', id, decision, call, result: { ok: true } });
        return;
      }
      // A 409 says only the state: the record says who decided and when.
      const current = result.refusal.status === 409 ? await approvals.client.get(id).then((r) => (r.ok ? r.value : undefined), () => undefined) : undefined;
      const { kind, reason } = describeRefusal(result.refusal, { action: decision, id, displayUrl: approvals.displayUrl, credentialSent: approvals.credentialSent, current });
      this.dispatch({ type: 'resolved', id, decision, call, result: { ok: false, message: reason, tone: kind === 'decided' ? 'warning' : 'failure' } });
    } catch (error) {
      this.dispatch({ type: 'resolved', id, decision, call, result: { ok: false, message: sanitizeForLog(describeError(error), 160), tone: 'failure' } });
    }
  }

  private reason(refusal: Parameters<typeof describeRefusal>[0], action: 'list' | 'show', id?: string): string {
    const approvals = this.options.approvals!;
    return describeRefusal(refusal, { action, id, displayUrl: approvals.displayUrl, credentialSent: approvals.credentialSent }).reason;
  }
}
