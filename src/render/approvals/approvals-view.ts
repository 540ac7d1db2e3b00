import type { Key } from '../../io/keys.js';
import type { Approval, ApprovalDecision } from '../../protocol/approval.js';
import type { PendingApproval } from '../table/reduce-table.js';
import { moveSelection, NO_SELECTION, settleSelection, type Selection } from '../view/selection.js';
import { statusMessage, type StatusMessage, type StatusTone } from '../view/status-line.js';

/**
 * The approvals view of the live table as a pure reducer: state + action ->
 * state + effects. Keys select, show arguments, and approve or deny after a
 * confirmation (and a reason); the effects say what to ask the gateway, and
 * nothing is sent before the `y` and the reason's Enter. Its answers come
 * back as actions. The list itself is the table's pending approvals: an
 * approval leaves it when its event arrives, never because of an answer.
 */

export type ViewMode =
  | { readonly kind: 'list' }
  /** `approve github create_issue? [y/N]` */
  | { readonly kind: 'confirm'; readonly decision: ApprovalDecision; readonly id: string; readonly call: string }
  /** The reason being typed, sent with Enter. */
  | { readonly kind: 'reason'; readonly decision: ApprovalDecision; readonly id: string; readonly call: string; readonly text: string };

export type Details =
  | { readonly id: string; readonly state: 'loading' }
  | { readonly id: string; readonly state: 'loaded'; readonly approval: Approval }
  | { readonly id: string; readonly state: 'failed'; readonly message: string };

export interface ApprovalsViewState {
  readonly selection: Selection;
  readonly mode: ViewMode;
  /** The arguments shown (Enter), fetched with GET /api/approvals/{id}. */
  readonly details: Details | undefined;
  /** Decisions sent and not answered yet, by id. */
  readonly sending: ReadonlyMap<string, ApprovalDecision>;
  /** Decisions the gateway took, waiting for their event, by id. */
  readonly decided: ReadonlyMap<string, ApprovalDecision>;
  readonly status: StatusMessage | undefined;
  /** The last answer of GET /api/approvals: when, and why it failed. */
  readonly refresh: { readonly atMs: number; readonly problem: string | undefined } | undefined;
}

export const INITIAL_APPROVALS_VIEW: ApprovalsViewState = {
  selection: NO_SELECTION,
  mode: { kind: 'list' },
  details: undefined,
  sending: new Map(),
  decided: new Map(),
  status: undefined,
  refresh: undefined,
};

export type ViewAction =
  | { readonly type: 'key'; readonly key: Key }
  | { readonly type: 'details'; readonly id: string; readonly result: { readonly ok: true; readonly approval: Approval } | { readonly ok: false; readonly message: string } }
  | {
      readonly type: 'resolved';
      readonly id: string;
      readonly decision: ApprovalDecision;
      readonly call: string;
      /** ok: the gateway took it; otherwise its refusal, worded (already sanitized), and how bad. */
      readonly result: { readonly ok: true } | { readonly ok: false; readonly message: string; readonly tone: StatusTone };
    }
  | { readonly type: 'refreshed'; readonly problem: string | undefined };

export type ViewEffect =
  | { readonly type: 'fetch-details'; readonly id: string }
  | { readonly type: 'resolve'; readonly id: string; readonly decision: ApprovalDecision; readonly reason: string | undefined; readonly call: string }
  | { readonly type: 'refresh' }
  /** Esc: back to the fleet. */
  | { readonly type: 'close' }
  | { readonly type: 'quit' };

export interface ViewContext {
  /** The pending approvals, oldest first (the table's). */
  readonly pending: readonly PendingApproval[];
  readonly nowMs: number;
  /** Why decisions cannot be sent from here (no gateway URL: --store alone), if they cannot. */
  readonly cannotDecide?: string | undefined;
}

/** Longest reason typed in the view (as the commands' --reason). */
export const MAX_VIEW_REASON_CHARS = 2000;

/** `github create_issue`: what a prompt and a status line call an approval. */
export function callOf(approval: Pick<PendingApproval, 'server' | 'tool'>): string {
  return `${approval.server} ${approval.tool}`;
}

const verbs = { approve: { done: 'approved', doing: 'approving', not: 'not approved' }, deny: { done: 'denied', doing: 'denying', not: 'not denied' } } as const;

/** The next state and what to ask the gateway, for one action. */
export function reduceApprovalsView(state: ApprovalsViewState, action: ViewAction, ctx: ViewContext): { state: ApprovalsViewState; effects: ViewEffect[] } {
  const ids = ctx.pending.map((a) => a.id);
  // Bookkeeping of approvals that left (their event came) goes with them.
  const base: ApprovalsViewState = {
    ...state,
    selection: settleSelection(state.selection, ids),
    sending: onlyPending(state.sending, ids),
    decided: onlyPending(state.decided, ids),
    details: state.details !== undefined && ids.includes(state.details.id) ? state.details : undefined,
  };
  const say = (text: string, tone: StatusTone) => statusMessage(text, tone, ctx.nowMs);
  switch (action.type) {
    case 'key':
      return reduceKey(base, action.key, ctx, say);
    case 'details':
      if (base.details?.id !== action.id) return { state: base, effects: [] };
      return {
        state: { ...base, details: action.result.ok ? { id: action.id, state: 'loaded', approval: action.result.approval } : { id: action.id, state: 'failed', message: action.result.message } },
        effects: [],
      };
    case 'resolved': {
      const sending = new Map(base.sending);
      sending.delete(action.id);
      const verb = verbs[action.decision];
      if (!action.result.ok) return { state: { ...base, sending, status: say(`${verb.not}: ${action.call}: ${action.result.message}`, action.result.tone) }, effects: [] };
      const decided = ids.includes(action.id) ? new Map(base.decided).set(action.id, action.decision) : base.decided;
      return { state: { ...base, sending, decided, status: say(`${verb.done} ${action.call} (${action.id}); it leaves the list when its event arrives`, 'success') }, effects: [] };
    }
    case 'refreshed':
      return { state: { ...base, refresh: { atMs: ctx.nowMs, problem: action.problem } }, effects: [] };
  }
}

function reduceKey(state: ApprovalsViewState, key: Key, ctx: ViewContext, say: (text: string, tone: StatusTone) => StatusMessage): { state: ApprovalsViewState; effects: ViewEffect[] } {
  const none = (next: ApprovalsViewState = state) => ({ state: next, effects: [] as ViewEffect[] });
  if (key.name === 'ctrl-c') return { state, effects: [{ type: 'quit' }] };
  const mode = state.mode;
  if (mode.kind === 'confirm') {
    if (key.name === 'char' && (key.char === 'y' || key.char === 'Y')) return none({ ...state, mode: { ...mode, kind: 'reason', text: '' } });
    return none({ ...state, mode: { kind: 'list' }, status: say(`${verbs[mode.decision].not}: ${mode.call} (nothing was sent)`, 'info') });
  }
  if (mode.kind === 'reason') {
    switch (key.name) {
      case 'escape':
        return none({ ...state, mode: { kind: 'list' }, status: say(`${verbs[mode.decision].not}: ${mode.call} (nothing was sent)`, 'info') });
      case 'enter': {
        const reason = mode.text.trim();
        const sending = new Map(state.sending).set(mode.id, mode.decision);
        return {
          state: { ...state, mode: { kind: 'list' }, sending, status: say(`${verbs[mode.decision].doing} ${mode.call}...`, 'info') },
          effects: [{ type: 'resolve', id: mode.id, decision: mode.decision, reason: reason === '' ? undefined : reason, call: mode.call }],
        };
      }
      case 'backspace':
        return none({ ...state, mode: { ...mode, text: [...mode.text].slice(0, -1).join('') } });
      case 'char':
        if (mode.text.length >= MAX_VIEW_REASON_CHARS) return none();
        return none({ ...state, mode: { ...mode, text: mode.text + key.char } });
      default:
        return none();
    }
  }
  const ids = ctx.pending.map((a) => a.id);
  const selected = ctx.pending.find((a) => a.id === state.selection.id);
  if (key.name === 'up' || (key.name === 'char' && key.char === 'k')) return none({ ...state, selection: moveSelection(state.selection, ids, -1) });
  if (key.name === 'down' || (key.name === 'char' && key.char === 'j')) return none({ ...state, selection: moveSelection(state.selection, ids, 1) });
  if (key.name === 'home') return none({ ...state, selection: moveSelection(state.selection, ids, -ids.length) });
  if (key.name === 'end') return none({ ...state, selection: moveSelection(state.selection, ids, ids.length) });
  if (key.name === 'escape') return state.details !== undefined ? none({ ...state, details: undefined }) : { state, effects: [{ type: 'close' }] };
  if (key.name !== 'char' && key.name !== 'enter') return none();
  if (key.name === 'char' && (key.char === 'q' || key.char === 'Q')) return { state, effects: [{ type: 'quit' }] };
  if (key.name === 'char' && key.char === 'r') return { state, effects: [{ type: 'refresh' }] };
  if (selected === undefined) return none();
  if (key.name === 'enter') {
    if (state.details?.id === selected.id && state.details.state !== 'failed') return none({ ...state, details: undefined });
    return { state: { ...state, details: { id: selected.id, state: 'loading' } }, effects: [{ type: 'fetch-details', id: selected.id }] };
  }
  const char = key.name === 'char' ? key.char : '';
  const decision: ApprovalDecision | undefined = char === 'a' ? 'approve' : char === 'd' ? 'deny' : undefined;
  if (decision === undefined) return none();
  const call = callOf(selected);
  if (ctx.cannotDecide !== undefined) return none({ ...state, status: say(`cannot ${decision} ${call}: ${ctx.cannotDecide}`, 'warning') });
  const pendingDecision = state.sending.get(selected.id) ?? state.decided.get(selected.id);
  if (pendingDecision !== undefined) return none({ ...state, status: say(`${call} was already ${verbs[pendingDecision].done} here: waiting for its event`, 'info') });
  return none({ ...state, mode: { kind: 'confirm', decision, id: selected.id, call } });
}

function onlyPending<V>(map: ReadonlyMap<string, V>, ids: readonly string[]): ReadonlyMap<string, V> {
  if (map.size === 0) return map;
  const kept = [...map].filter(([id]) => ids.includes(id));
  return kept.length === map.size ? map : new Map(kept);
}
