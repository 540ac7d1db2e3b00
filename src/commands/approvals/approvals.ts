import { AlreadyDecidedError, AuthError, RuntimeError, UsageError } from '../../errors.js';
import type { ApprovalsClient } from '../../client/approvals-client.js';
import { hasCredentials } from '../../credentials.js';
import { createColorScheme } from '../../io/color.js';
import { resolveColorLevel, type ColorScheme } from '../../io/color-level.js';
import type { IO } from '../../io/io.js';
import type { Approval } from '../../protocol/approval.js';
import { formatApprovalDetails, formatApprovalTable, formatDecided, oldestFirst } from '../../render/approvals/format-approvals.js';
import { escapeJsonForTerminal, stripControl } from '../../protocol/sanitize.js';
import type { ApprovalsEndpoint, ListOptions, ResolveOptions, ShowOptions } from './options.js';
import { parseStdinReason } from './options.js';
import { refusalError, type ApprovalAction } from '../../client/approval-refusal.js';

/**
 * The runs of `approvals`, `approvals show`, `approve` and `deny`: one
 * request (or one per ID), its answer on stdout, every refusal as one line
 * with its exit code (refusal.ts).
 */

function colorsFor(io: IO, mode: ListOptions['color']): ColorScheme {
  return createColorScheme(resolveColorLevel(io, io.stdout.isTTY, mode));
}

function refusalContext(endpoint: ApprovalsEndpoint, action: ApprovalAction, id?: string, current?: Approval) {
  return { action, id, displayUrl: endpoint.displayUrl, credentialSent: hasCredentials(endpoint.requestHeaders, endpoint.apiKeyHeader), current };
}

/** `hangar-events approvals`: the list, as a table on a terminal, the gateway's array (-o json) or one approval a line (-o ndjson). */
/** The gateway's JSON as one line; on a terminal with what it must not get raw in strings escaped (same value). */
function jsonFor(io: IO, value: unknown): string {
  const json = JSON.stringify(value);
  return io.stdout.isTTY ? escapeJsonForTerminal(json) : json;
}

export async function runList(options: ListOptions, io: IO, client: ApprovalsClient): Promise<void> {
  const result = await client.list({ state: options.state, server: options.server }).catch((error: unknown) => {
    throw new RuntimeError(`cannot list approvals: ${options.endpoint.displayUrl}`, { cause: error });
  });
  if (!result.ok) throw refusalError(result.refusal, refusalContext(options.endpoint, 'list'));
  const approvals = result.value;
  switch (options.output) {
    case 'json':
      io.stdout.write(`${jsonFor(io, approvals.map((a) => a.raw))}\n`);
      return;
    case 'ndjson':
      for (const approval of approvals) io.stdout.write(`${jsonFor(io, approval.raw)}\n`);
      return;
    case 'table': {
      if (approvals.length === 0) {
        const where = options.server !== undefined ? ` for ${stripControl(options.server)}` : '';
        io.stderr.write(`hangar-events: no ${options.state} approvals${where} on ${options.endpoint.displayUrl}\n`);
        return;
      }
      io.stdout.write(`${formatApprovalTable(oldestFirst(approvals), { colors: colorsFor(io, options.color), nowMs: io.now() })}\n`);
    }
  }
}

/** `hangar-events approvals show ID`: every field, the arguments as indented JSON (-o json: the object as received). */
export async function runShow(options: ShowOptions, io: IO, client: ApprovalsClient): Promise<void> {
  const result = await client.get(options.id).catch((error: unknown) => {
    throw new RuntimeError(`cannot show approval ${stripControl(options.id)}: ${options.endpoint.displayUrl}`, { cause: error });
  });
  if (!result.ok) throw refusalError(result.refusal, refusalContext(options.endpoint, 'show', options.id));
  if (options.output === 'json') {
    io.stdout.write(`${jsonFor(io, result.value.raw)}\n`);
    return;
  }
  const lines = formatApprovalDetails(result.value, { colors: colorsFor(io, options.color), nowMs: io.now() });
  io.stdout.write(`${lines.join('\n')}\n`);
}

/** Reads all of stdin as text (for --reason -). */
async function readAll(io: IO): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}

/**
 * The exit-code rank of a failed ID: a refused credential (4) outranks a
 * missing approval or a gateway problem (1), which outranks one that was
 * already decided (7), so several IDs end with the most serious.
 */
function rank(error: Error): number {
  if (error instanceof AuthError) return 3;
  if (error instanceof AlreadyDecidedError) return 1;
  return 2;
}

/**
 * `hangar-events approve|deny ID...`: each ID resolved in turn, one line
 * each: the decided ones on stdout (`approved ID (github create_issue)`),
 * the refused ones on stderr. With one ID its refusal is the error; with
 * several, every ID is still tried and the most serious refusal sets the
 * exit code, with a count.
 */
export async function runResolve(options: ResolveOptions, io: IO, client: ApprovalsClient): Promise<void> {
  let reason = options.reason;
  if (options.reasonFromStdin) {
    if (io.stdin.isTTY) io.stderr.write('hangar-events: reading the reason from stdin (end with Ctrl-D)\n');
    reason = parseStdinReason(await readAll(io));
    if (reason === undefined) throw new UsageError('--reason -: stdin held no reason (it was empty)');
  }
  const colors = colorsFor(io, options.color);
  const failures: Error[] = [];
  for (const id of options.ids) {
    const error = await resolveOne(options, id, reason, client, io, colors);
    if (error === undefined) continue;
    if (options.ids.length === 1) throw error;
    failures.push(error);
    io.stderr.write(`hangar-events: ${stripControl(error.message)}\n`);
  }
  if (failures.length === 0) return;
  const worst = failures.reduce((a, b) => (rank(b) > rank(a) ? b : a));
  const verb = options.decision === 'approve' ? 'approved' : 'denied';
  const summary = `${failures.length} of ${options.ids.length} approvals not ${verb} (see above)`;
  throw worst instanceof AuthError ? new AuthError(summary) : worst instanceof AlreadyDecidedError ? new AlreadyDecidedError(summary) : new RuntimeError(summary);
}

/** Resolves one ID; writes its line when it went through, returns the error otherwise. */
async function resolveOne(options: ResolveOptions, id: string, reason: string | undefined, client: ApprovalsClient, io: IO, colors: ColorScheme): Promise<Error | undefined> {
  const action = options.decision;
  let result;
  try {
    result = await client.resolve(id, options.decision, reason);
  } catch (error) {
    return new RuntimeError(`cannot ${action} ${stripControl(id)}: ${options.endpoint.displayUrl}`, { cause: error });
  }
  if (!result.ok) {
    // Who decided it and when is on the record (a 409 only says the state): read it, best effort.
    const current = result.refusal.status === 409 ? await client.get(id).then((r) => (r.ok ? r.value : undefined), () => undefined) : undefined;
    return refusalError(result.refusal, refusalContext(options.endpoint, action, id, current));
  }
  // The resolve answer names no server or tool: the record does (best effort, the decision stands either way).
  const record = await client.get(id).then((r) => (r.ok ? r.value : undefined), () => undefined);
  io.stdout.write(`${formatDecided(options.decision, id, record, colors)}\n`);
  return undefined;
}
