import type { Command } from 'commander';
import type { IO } from '../../io/io.js';
import { collect } from '../parse.js';
import type { ApprovalDecision } from '../../protocol/approval.js';
import type { ApprovalsFlags, ListOptions, ResolveOptions, ShowOptions } from './options.js';

/**
 * Declares `approvals` (with `approvals show ID`), `approve ID...` and
 * `deny ID...`. Flags become typed options (options.ts); the runs are loaded
 * when a command runs, so `--help` stays fast. Tests pass their own runs.
 */

export interface ApprovalsRunners {
  list(options: ListOptions, io: IO): Promise<void>;
  show(options: ShowOptions, io: IO): Promise<void>;
  resolve(options: ResolveOptions, io: IO): Promise<void>;
}

const lazyRunners: ApprovalsRunners = {
  async list(options, io) {
    const [{ runList }, { openApprovalsClient }] = await Promise.all([import('./approvals.js'), import('./open-client.js')]);
    await openApprovalsClient(options.endpoint, (client) => runList(options, io, client));
  },
  async show(options, io) {
    const [{ runShow }, { openApprovalsClient }] = await Promise.all([import('./approvals.js'), import('./open-client.js')]);
    await openApprovalsClient(options.endpoint, (client) => runShow(options, io, client));
  },
  async resolve(options, io) {
    const [{ runResolve }, { openApprovalsClient }] = await Promise.all([import('./approvals.js'), import('./open-client.js')]);
    await openApprovalsClient(options.endpoint, (client) => runResolve(options, io, client));
  },
};

/** The connection flags every approvals command takes, as tail has them (plus --url). */
function addConnectionFlags(command: Command): Command {
  return command
    .option('--url <url>', 'the gateway (or serve): http(s)://, ws(s):// (mapped to http(s):// of the same host) or host:port (default: $HANGAR_URL, the current context, else localhost:8000)')
    .option('--context <name>', 'use a saved context (hangar-events context add ...) for URL, key, headers and CA (default: $HANGAR_CONTEXT, else the current context)')
    .option('-k, --api-key <key>', 'API key (mcp_...) sent as X-API-Key (default: $HANGAR_API_KEY)')
    .option('--api-key-file <file>', 'read the API key from a file')
    .option('--api-key-header <name>', 'send the API key in this header instead of X-API-Key')
    .option('--bearer', 'send the credential as Authorization: Bearer: a JWT/OIDC token, not an API key')
    .option('-H, --header <header>', "extra request header 'Name: value' (repeatable)", collect)
    .option('--ca <file>', 'trust this CA certificate (PEM) for https://')
    .option('--insecure', 'do not verify the TLS certificate (https://)')
    .option('--color <mode>', 'auto, always or never (default: auto; honours NO_COLOR and FORCE_COLOR)')
    .option('--no-color', 'same as --color never');
}

const exitCodes = `
Exit codes: 0 done, 1 not found (or another tenant's: it looks the same), no approval gate (503) or
the gateway cannot be reached, 2 usage error, 4 credential refused or permission missing (the message
names it and the built-in roles that hold it), 7 already approved, denied or expired (approve/deny).
With several IDs every one is tried and the most serious code wins: 4, then 1, then 7.`;

const listExamples = `
Examples:
  hangar-events approvals                               pending approvals, oldest first (a table on a terminal)
  hangar-events approvals --url gateway:8000 -k "$KEY"  a gateway (ws:// and http:// URLs both work)
  hangar-events approvals --state denied --server github
  hangar-events approvals -o json | jq '.[].approval_id'  the gateway's array
  hangar-events approvals show 3f9c0a1d-...             every field and the arguments
  hangar-events approve 3f9c0a1d-... --reason 'ticket OPS-12'
  hangar-events deny 3f9c0a1d-... 91b7e2c4-... --reason -   the reason from stdin
${exitCodes}`;

/** Reads the flags (with a context applied) the way tail does. */
async function connectionFlags(flags: ApprovalsFlags & { context?: string }, io: IO): Promise<ApprovalsFlags> {
  const { applyContext } = await import('../apply-context.js');
  const { urls, flags: merged } = await applyContext(flags.url !== undefined ? [flags.url] : [], flags, io);
  return { ...merged, url: urls[0] };
}

export function registerApprovals(program: Command, io: IO, runners: ApprovalsRunners = lazyRunners): void {
  const approvals = addConnectionFlags(
    program
      .command('approvals')
      .description('list the tool calls held for approval by a gateway (or serve); approvals show ID for one in full')
      .option('-o, --output <mode>', 'table, json (the gateway\'s array) or ndjson (one approval a line) (default: table on a terminal, ndjson otherwise)')
      .option('--state <state>', 'pending (default), approved, denied or expired')
      .option('-s, --server <id>', 'only approvals of this MCP server'),
  )
    .addHelpText('after', listExamples)
    .action(async (flags: ApprovalsFlags & { context?: string }) => {
      const { toListOptions } = await import('./options.js');
      const options = await loadFiles(toListOptions(await connectionFlags(flags, io), { env: io.env, stdoutIsTTY: io.stdout.isTTY }), io);
      await runners.list(options, io);
    });
  addConnectionFlags(
    approvals
      .command('show')
      .description('one approval in full: every field, the arguments as indented JSON')
      .argument('<id>', 'the approval ID (hangar-events approvals lists them)')
      .option('-o, --output <mode>', 'text (default) or json (the object as the gateway answered it)'),
  )
    .addHelpText('after', exitCodes)
    .action(async (id: string, _flags: ApprovalsFlags, command: Command) => {
      const flags = command.optsWithGlobals<ApprovalsFlags & { context?: string }>();
      const { toShowOptions } = await import('./options.js');
      const options = await loadFiles(toShowOptions(id, await connectionFlags(flags, io), { env: io.env, stdoutIsTTY: io.stdout.isTTY }), io);
      await runners.show(options, io);
    });
}

function registerDecision(program: Command, io: IO, decision: ApprovalDecision, runners: ApprovalsRunners): void {
  const name = decision === 'approve' ? 'approve' : 'deny';
  addConnectionFlags(
    program
      .command(name)
      .description(decision === 'approve' ? 'approve held tool calls: each ID resolved and reported on its own line' : 'deny held tool calls: each ID resolved and reported on its own line')
      .argument('<id...>', 'approval IDs (hangar-events approvals lists them)')
      .option('--reason <text>', "why, recorded with the decision; '-' reads it from stdin"),
  )
    .addHelpText('after', exitCodes)
    .action(async (ids: string[], flags: ApprovalsFlags & { context?: string }) => {
      const { toResolveOptions } = await import('./options.js');
      const options = await loadFiles(toResolveOptions(decision, ids, await connectionFlags(flags, io), { env: io.env, stdoutIsTTY: io.stdout.isTTY }), io);
      await runners.resolve(options, io);
    });
}

export function registerApprove(program: Command, io: IO, runners: ApprovalsRunners = lazyRunners): void {
  registerDecision(program, io, 'approve', runners);
}

export function registerDeny(program: Command, io: IO, runners: ApprovalsRunners = lazyRunners): void {
  registerDecision(program, io, 'deny', runners);
}

/** Reads the key and CA files into the endpoint (their errors come before any request). */
async function loadFiles<T extends { readonly endpoint: ListOptions['endpoint'] }>(options: T, io: IO): Promise<T> {
  const { loadConnectionFiles } = await import('../connection-flags.js');
  return { ...options, endpoint: await loadConnectionFiles(options.endpoint, io) };
}
