import { UsageError } from '../../errors.js';
import { DEFAULT_URL, normaliseUrl } from '../../client/url.js';
import { approvalsBaseUrl } from '../../client/approvals-client.js';
import type { ColorMode } from '../../io/color-level.js';
import { APPROVAL_STATES, type ApprovalDecision, type ApprovalState } from '../../protocol/approval.js';
import { stripControl } from '../../protocol/sanitize.js';
import { redactUrl } from '../../format/url.js';
import { toConnectionOptions, type ConnectionFlags, type ConnectionOptions } from '../connection-flags.js';
import { parseChoice } from '../parse.js';

/**
 * Flags -> options for `approvals`, `approvals show`, `approve` and `deny`.
 * Pure; every bad value is a UsageError (exit 2) before any request.
 */

/** The raw flag values commander hands over (after a context was applied). */
export interface ApprovalsFlags extends ConnectionFlags {
  url?: string;
  output?: string;
  state?: string;
  server?: string;
  reason?: string;
  /** `--color <mode>` gives a string, `--no-color` gives false. */
  color?: string | boolean;
}

/** Where the approvals REST API is and how to reach it. */
export interface ApprovalsEndpoint extends ConnectionOptions {
  /** http(s)://host[:port][/prefix], no trailing slash: the API is at `${baseUrl}/api/approvals`. */
  readonly baseUrl: string;
  /** The base URL without credentials or query, for messages. */
  readonly displayUrl: string;
}

export const LIST_OUTPUTS = ['table', 'json', 'ndjson'] as const;
export type ListOutput = (typeof LIST_OUTPUTS)[number];
export const SHOW_OUTPUTS = ['text', 'json'] as const;
export type ShowOutput = (typeof SHOW_OUTPUTS)[number];

export interface ListOptions {
  readonly endpoint: ApprovalsEndpoint;
  readonly output: ListOutput;
  readonly state: ApprovalState;
  /** Only approvals of this server (the gateway's provider_id filter). */
  readonly server: string | undefined;
  readonly color: ColorMode;
}

export interface ShowOptions {
  readonly endpoint: ApprovalsEndpoint;
  readonly id: string;
  readonly output: ShowOutput;
  readonly color: ColorMode;
}

export interface ResolveOptions {
  readonly endpoint: ApprovalsEndpoint;
  readonly decision: ApprovalDecision;
  /** In the order given, each once. */
  readonly ids: readonly string[];
  /** The reason given with --reason TEXT. */
  readonly reason: string | undefined;
  /** --reason -: read the reason from stdin. */
  readonly reasonFromStdin: boolean;
  readonly color: ColorMode;
}

/** What the options depend on besides the flags. */
export interface ApprovalsOptionContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdoutIsTTY: boolean;
}

/** Longest reason sent (a reason is a sentence for the audit trail, not a document). */
export const MAX_REASON_CHARS = 2000;

/**
 * The endpoint from --url (or $HANGAR_URL, else localhost:8000) and the
 * connection flags: a ws:// URL, tail's own, maps to http:// of the same host,
 * wss:// to https://.
 */
export function toApprovalsEndpoint(flags: ApprovalsFlags, context: ApprovalsOptionContext): ApprovalsEndpoint {
  const given = flags.url ?? nonEmpty(context.env.HANGAR_URL) ?? DEFAULT_URL;
  const baseUrl = approvalsBaseUrl(normaliseUrl(given));
  return { ...toConnectionOptions(flags, context.env), baseUrl, displayUrl: redactUrl(baseUrl).replace(/\?.*$/, '') };
}

export function toListOptions(flags: ApprovalsFlags, context: ApprovalsOptionContext): ListOptions {
  const output = flags.output === undefined ? (context.stdoutIsTTY ? 'table' : 'ndjson') : parseChoice('-o/--output', flags.output.trim() === 'jsonl' ? 'ndjson' : flags.output.trim(), LIST_OUTPUTS);
  const state = flags.state === undefined ? 'pending' : parseState(flags.state);
  const server = flags.server === undefined ? undefined : flags.server.trim();
  if (server === '') throw new UsageError('empty -s/--server: give the id of an MCP server');
  return { endpoint: toApprovalsEndpoint(flags, context), output, state, server, color: toColor(flags) };
}

export function toShowOptions(id: string, flags: ApprovalsFlags, context: ApprovalsOptionContext): ShowOptions {
  if (flags.state !== undefined || flags.server !== undefined) throw new UsageError('--state and --server filter the list; approvals show takes one ID');
  const output = flags.output === undefined ? 'text' : parseChoice('-o/--output', flags.output.trim(), SHOW_OUTPUTS);
  return { endpoint: toApprovalsEndpoint(flags, context), id: parseId(id), output, color: toColor(flags) };
}

export function toResolveOptions(decision: ApprovalDecision, ids: readonly string[], flags: ApprovalsFlags, context: ApprovalsOptionContext): ResolveOptions {
  const parsed = [...new Set(ids.map(parseId))];
  if (parsed.length === 0) throw new UsageError(`${decision} needs at least one approval ID (hangar-events approvals lists them)`);
  const reasonFromStdin = flags.reason?.trim() === '-';
  let reason: string | undefined;
  if (flags.reason !== undefined && !reasonFromStdin) {
    reason = flags.reason.trim();
    if (reason === '') throw new UsageError("empty --reason: give a sentence, or '-' to read it from stdin");
    if (reason.length > MAX_REASON_CHARS) throw new UsageError(`--reason is ${reason.length} characters long: at most ${MAX_REASON_CHARS}`);
  }
  return { endpoint: toApprovalsEndpoint(flags, context), decision, ids: parsed, reason, reasonFromStdin, color: toColor(flags) };
}

/**
 * An approval ID as given: trimmed, not empty, printable, no `/` (it becomes
 * one segment of the path). A gateway's IDs are UUIDs, serve's too; others are
 * passed on as typed.
 */
export function parseId(text: string): string {
  const id = text.trim();
  if (id === '') throw new UsageError('empty approval ID');
  if (stripControl(id) !== id || /[\s/?#]/.test(id)) throw new UsageError(`invalid approval ID '${stripControl(id)}': expected an ID as hangar-events approvals lists it (a UUID)`);
  if (id.length > 200) throw new UsageError('invalid approval ID: longer than 200 characters');
  return id;
}

/** Checks the reason read from stdin (--reason -) the same way as one given on the command line. */
export function parseStdinReason(text: string): string | undefined {
  const reason = text.trim();
  if (reason === '') return undefined;
  if (reason.length > MAX_REASON_CHARS) throw new UsageError(`the reason read from stdin is ${reason.length} characters long: at most ${MAX_REASON_CHARS}`);
  return reason;
}

function parseState(text: string): ApprovalState {
  const state = text.trim().toLowerCase();
  if ((APPROVAL_STATES as readonly string[]).includes(state)) return state as ApprovalState;
  throw new UsageError(`invalid --state '${stripControl(text)}': expected one of ${APPROVAL_STATES.join(', ')}`);
}

function toColor(flags: ApprovalsFlags): ColorMode {
  return flags.color === false ? 'never' : flags.color === undefined || flags.color === true ? 'auto' : parseChoice('--color', flags.color, ['auto', 'always', 'never'] as const);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
