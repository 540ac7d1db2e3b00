import { pick, randomHex, randomInt, uniform, type Prng } from './prng.js';

/**
 * What the simulated fleet is made of: MCP servers a Hangar user recognises,
 * with their tools, latency and error characteristics. Numbers are plausible
 * rather than measured: local arithmetic answers in milliseconds, web fetches
 * and browsers take hundreds of milliseconds with a long tail, remote APIs
 * rate-limit.
 */

export type ServerMode = 'subprocess' | 'docker' | 'remote';

/** One kind of failure a tool can produce: the exception type and a message. */
export interface ToolError {
  readonly type: string;
  readonly message: (rng: Prng) => string;
  /** Relative weight among the tool's errors. */
  readonly weight: number;
}

export interface ToolProfile {
  readonly name: string;
  /** Median latency of a successful call, ms. */
  readonly medianMs: number;
  /** Log-normal shape: 0.3 = tight, 1.0 = long tail. */
  readonly sigma: number;
  /** Probability that a call fails in normal operation. */
  readonly errorRate: number;
  readonly errors: readonly ToolError[];
  /** Calls slower than this fail with TimeoutError. */
  readonly timeoutMs: number;
  /** Median result size, bytes. */
  readonly resultBytes: number;
  /** Relative call frequency among the server's tools. */
  readonly weight: number;
  readonly args: (rng: Prng) => Record<string, unknown>;
  /** The failure these arguments always cause (`divide` by zero), checked before any random error. */
  readonly failFor?: (args: Record<string, unknown>) => { type: string; message: string } | undefined;
  /** Whether a call needs a person's approval first (ToolApprovalRequested, then Granted, Denied or Expired). */
  readonly needsApproval?: boolean;
}

export interface ServerProfile {
  readonly name: string;
  readonly mode: ServerMode;
  /** Tools the server advertises (the simulator calls a representative subset). */
  readonly toolsCount: number;
  /** Median startup time, ms (docker is slow, remote is a handshake). */
  readonly startupMedianMs: number;
  /** Calls per second while an agent is actively using the server. */
  readonly activeCallsPerSec: number;
  /** Mean length of a burst of use, and of the quiet time between bursts, seconds. */
  readonly activeMeanS: number;
  readonly quietMeanS: number;
  /** Loaded at startup (config) or found later by a discovery source. */
  readonly origin: 'config' | 'discovery';
  /** For discovered servers: which discovery source finds it. */
  readonly sourceType: 'docker' | 'kubernetes' | 'filesystem' | 'entrypoint';
  readonly tools: readonly ToolProfile[];
}

const err = (type: string, weight: number, message: string | ((rng: Prng) => string)): ToolError => ({
  type,
  weight,
  message: typeof message === 'string' ? () => message : message,
});

/**
 * The `error_type`s a current gateway writes on ToolInvocationFailed: an
 * error result of the tool (`tool_error`), a JSON-RPC error code as a string
 * (`-32602` invalid params, `-32603` internal error, `-32000` server error),
 * or the name of the Python exception Hangar raised.
 */
export const HANGAR_ERROR_TYPES = [
  'tool_error',
  '-32602',
  '-32603',
  '-32000',
  'ToolTimeoutError',
  'ClientError',
  'ClientNotConnectedError',
  'McpServerDegradedError',
  'McpServerNotReadyError',
  'McpServerStartError',
  'EgressPolicyApprovalRequiredError',
] as const;

const words = ['weather', 'invoice', 'deploy', 'latency', 'rust', 'postgres', 'mcp', 'kubernetes', 'retry', 'budget', 'release', 'hangar'];
const paths = ['/workspace/README.md', '/workspace/src/index.ts', '/workspace/package.json', '/workspace/docs/design.md', '/workspace/data/report.csv', '/workspace/notes/todo.md'];
const urls = ['https://example.com/', 'https://docs.python.org/3/library/asyncio.html', 'https://news.ycombinator.com/', 'https://api.github.com/repos/nodejs/node', 'https://httpbin.org/delay/3', 'https://en.wikipedia.org/wiki/Model_Context_Protocol'];
const repos = ['acme/api', 'acme/web', 'mcp-hangar/hangar', 'nodejs/node', 'microsoft/typescript'];
const tables = ['users', 'orders', 'invoices', 'events', 'sessions'];
const channels = ['#general', '#deploys', '#incidents', '#random'];

/** What a Hangar gateway writes when a call runs past its timeout. */
export function timeoutMessage(timeoutMs: number): string {
  return `Tool invocation timed out after ${(timeoutMs / 1000).toFixed(1)}s`;
}

function tool(partial: Partial<ToolProfile> & Pick<ToolProfile, 'name' | 'medianMs' | 'args'>): ToolProfile {
  return {
    sigma: 0.5,
    errorRate: 0.01,
    errors: [err('-32603', 1, 'Internal error')],
    timeoutMs: 30_000,
    resultBytes: 200,
    weight: 1,
    ...partial,
  };
}

const math: ServerProfile = {
  name: 'math',
  mode: 'subprocess',
  toolsCount: 6,
  startupMedianMs: 350,
  activeCallsPerSec: 0.8,
  activeMeanS: 90,
  quietMeanS: 20,
  origin: 'config',
  sourceType: 'entrypoint',
  tools: [
    tool({ name: 'add', medianMs: 2.5, sigma: 0.4, errorRate: 0.003, resultBytes: 24, weight: 4, args: (r) => ({ a: randomInt(r, -500, 5000), b: randomInt(r, -500, 5000) }) }),
    tool({ name: 'multiply', medianMs: 2.8, sigma: 0.4, errorRate: 0.003, resultBytes: 24, weight: 3, args: (r) => ({ a: randomInt(r, 0, 999), b: randomInt(r, 0, 999) }) }),
    tool({
      name: 'divide',
      medianMs: 3,
      sigma: 0.4,
      errorRate: 0.002,
      resultBytes: 28,
      weight: 2,
      // Agents divide by zero now and then; that call, and only that one, fails.
      args: (r) => ({ a: randomInt(r, 0, 999), b: r.next() < 0.02 ? 0 : randomInt(r, 1, 9) }),
      failFor: (args) => (args.b === 0 ? { type: 'tool_error', message: 'ZeroDivisionError: division by zero' } : undefined),
    }),
    tool({
      name: 'power',
      medianMs: 4,
      sigma: 0.6,
      errorRate: 0.003,
      resultBytes: 40,
      weight: 1,
      args: (r) => (r.next() < 0.01 ? { base: randomInt(r, 8, 12), exponent: randomInt(r, 400, 999) } : { base: randomInt(r, 2, 12), exponent: randomInt(r, 0, 16) }),
      failFor: (args) => ((args.exponent as number) >= 400 ? { type: 'tool_error', message: "OverflowError: (34, 'Numerical result out of range')" } : undefined),
    }),
  ],
};

const fetchServer: ServerProfile = {
  name: 'fetch',
  mode: 'subprocess',
  toolsCount: 1,
  startupMedianMs: 900,
  activeCallsPerSec: 0.35,
  activeMeanS: 60,
  quietMeanS: 45,
  origin: 'config',
  sourceType: 'entrypoint',
  tools: [
    tool({
      name: 'fetch',
      medianMs: 420,
      sigma: 0.9,
      errorRate: 0.02,
      timeoutMs: 30_000,
      resultBytes: 18_000,
      args: (r) => ({ url: pick(r, urls), max_length: pick(r, [5000, 10000, 20000]) }),
      errors: [
        err('tool_error', 3, (r) => `Failed to fetch: HTTP ${pick(r, [403, 404, 429, 500, 502, 503])}`),
        err('tool_error', 1, 'Failed to fetch: connection reset by peer'),
        err('-32603', 1, 'Internal error'),
      ],
    }),
  ],
};

const github: ServerProfile = {
  name: 'github',
  mode: 'docker',
  toolsCount: 26,
  startupMedianMs: 2600,
  activeCallsPerSec: 0.3,
  activeMeanS: 50,
  quietMeanS: 80,
  origin: 'config',
  sourceType: 'docker',
  tools: [
    tool({ name: 'search_repositories', medianMs: 520, sigma: 0.6, errorRate: 0.02, resultBytes: 9000, weight: 3, args: (r) => ({ query: `${pick(r, words)} language:${pick(r, ['python', 'typescript', 'go'])}`, per_page: 10 }), errors: [err('tool_error', 2, 'API rate limit exceeded for installation; resets in 42s'), err('tool_error', 1, 'GitHub API error: 502 Bad Gateway')] }),
    tool({ name: 'get_file_contents', medianMs: 310, sigma: 0.5, errorRate: 0.025, resultBytes: 6000, weight: 3, args: (r) => ({ owner: pick(r, repos).split('/')[0], repo: pick(r, repos).split('/')[1], path: pick(r, ['README.md', 'src/index.ts', 'package.json']) }), errors: [err('tool_error', 3, 'Not Found: the path does not exist on the default branch'), err('tool_error', 1, 'API rate limit exceeded for installation; resets in 17s')] }),
    tool({ name: 'list_pull_requests', medianMs: 380, sigma: 0.5, errorRate: 0.01, resultBytes: 12_000, weight: 2, args: (r) => ({ owner: 'acme', repo: pick(r, ['api', 'web']), state: 'open' }), errors: [err('tool_error', 1, 'API rate limit exceeded for installation; resets in 8s')] }),
    tool({ name: 'create_issue', medianMs: 640, sigma: 0.4, errorRate: 0.02, resultBytes: 1500, weight: 0.5, needsApproval: true, args: (r) => ({ owner: 'acme', repo: 'api', title: `Investigate ${pick(r, words)} regression` }), errors: [err('tool_error', 1, 'Resource not accessible by integration: the token cannot write to acme/api')] }),
  ],
};

const filesystem: ServerProfile = {
  name: 'filesystem',
  mode: 'subprocess',
  toolsCount: 11,
  startupMedianMs: 420,
  activeCallsPerSec: 1.0,
  activeMeanS: 45,
  quietMeanS: 40,
  origin: 'discovery',
  sourceType: 'docker',
  tools: [
    tool({ name: 'read_file', medianMs: 6, sigma: 0.7, errorRate: 0.015, resultBytes: 4200, weight: 5, args: (r) => ({ path: pick(r, paths) }), errors: [err('tool_error', 1, 'ENOENT: no such file or directory')] }),
    tool({ name: 'list_directory', medianMs: 4, sigma: 0.5, errorRate: 0.005, resultBytes: 900, weight: 3, args: (r) => ({ path: pick(r, ['/workspace', '/workspace/src', '/workspace/docs']) }), errors: [err('tool_error', 1, 'ENOENT: no such file or directory')] }),
    tool({ name: 'write_file', medianMs: 9, sigma: 0.6, errorRate: 0.01, resultBytes: 60, weight: 0.5, needsApproval: true, args: (r) => ({ path: pick(r, paths), content: `# notes ${randomHex(r, 6)}\n` }), errors: [err('tool_error', 1, 'ENOSPC: no space left on device')] }),
    tool({ name: 'search_files', medianMs: 35, sigma: 0.8, errorRate: 0.005, resultBytes: 1600, weight: 1, args: (r) => ({ path: '/workspace', pattern: `*${pick(r, ['.ts', '.md', '.json'])}` }) }),
  ],
};

const postgres: ServerProfile = {
  name: 'postgres',
  mode: 'docker',
  toolsCount: 1,
  startupMedianMs: 3100,
  activeCallsPerSec: 0.5,
  activeMeanS: 70,
  quietMeanS: 60,
  origin: 'discovery',
  sourceType: 'kubernetes',
  tools: [
    tool({
      name: 'query',
      medianMs: 28,
      sigma: 1.0,
      errorRate: 0.02,
      timeoutMs: 15_000,
      resultBytes: 3500,
      args: (r) => ({ sql: pick(r, [`SELECT count(*) FROM ${pick(r, tables)}`, `SELECT * FROM ${pick(r, tables)} ORDER BY created_at DESC LIMIT 20`, `SELECT status, count(*) FROM orders GROUP BY status`]) }),
      errors: [
        err('tool_error', 3, (r) => pick(r, ['canceling statement due to statement timeout', 'could not serialize access due to concurrent update', 'remaining connection slots are reserved for non-replication superuser connections'])),
        err('-32603', 1, 'Internal error'),
      ],
    }),
  ],
};

const slack: ServerProfile = {
  name: 'slack',
  mode: 'remote',
  toolsCount: 8,
  startupMedianMs: 500,
  activeCallsPerSec: 0.2,
  activeMeanS: 40,
  quietMeanS: 120,
  origin: 'config',
  sourceType: 'entrypoint',
  tools: [
    tool({ name: 'slack_post_message', medianMs: 260, sigma: 0.4, errorRate: 0.02, resultBytes: 400, weight: 2, args: (r) => ({ channel_id: pick(r, channels), text: `deploy ${randomHex(r, 7)} finished` }), errors: [err('tool_error', 1, 'ratelimited: retry after 3s')] }),
    tool({ name: 'slack_list_channels', medianMs: 190, sigma: 0.4, errorRate: 0.005, resultBytes: 5200, weight: 1, args: () => ({ limit: 100 }) }),
  ],
};

const sqlite: ServerProfile = {
  name: 'sqlite',
  mode: 'subprocess',
  toolsCount: 6,
  startupMedianMs: 300,
  activeCallsPerSec: 0.6,
  activeMeanS: 40,
  quietMeanS: 70,
  origin: 'discovery',
  sourceType: 'filesystem',
  tools: [
    tool({ name: 'read_query', medianMs: 4, sigma: 0.8, errorRate: 0.01, resultBytes: 2000, weight: 3, args: (r) => ({ query: `SELECT * FROM ${pick(r, tables)} LIMIT 10` }), errors: [err('tool_error', 1, 'database is locked')] }),
    tool({ name: 'list_tables', medianMs: 2, sigma: 0.3, errorRate: 0.002, resultBytes: 180, weight: 1, args: () => ({}) }),
    tool({ name: 'write_query', medianMs: 8, sigma: 0.6, errorRate: 0.03, resultBytes: 40, weight: 1, args: (r) => ({ query: `UPDATE ${pick(r, tables)} SET seen = 1 WHERE id = ${randomInt(r, 1, 999)}` }), errors: [err('tool_error', 1, 'database is locked')] }),
  ],
};

const memory: ServerProfile = {
  name: 'memory',
  mode: 'subprocess',
  toolsCount: 9,
  startupMedianMs: 380,
  activeCallsPerSec: 0.5,
  activeMeanS: 60,
  quietMeanS: 60,
  origin: 'config',
  sourceType: 'entrypoint',
  tools: [
    tool({ name: 'search_nodes', medianMs: 7, sigma: 0.5, errorRate: 0.004, resultBytes: 1400, weight: 3, args: (r) => ({ query: pick(r, words) }) }),
    tool({ name: 'create_entities', medianMs: 11, sigma: 0.5, errorRate: 0.01, resultBytes: 300, weight: 1, args: (r) => ({ entities: [{ name: pick(r, words), entityType: 'concept', observations: ['mentioned by user'] }] }), errors: [err('tool_error', 1, 'entity already exists')] }),
    tool({ name: 'read_graph', medianMs: 15, sigma: 0.6, errorRate: 0.004, resultBytes: 22_000, weight: 1, args: () => ({}) }),
  ],
};

const braveSearch: ServerProfile = {
  name: 'brave-search',
  mode: 'remote',
  toolsCount: 2,
  startupMedianMs: 450,
  activeCallsPerSec: 0.25,
  activeMeanS: 50,
  quietMeanS: 90,
  origin: 'discovery',
  sourceType: 'kubernetes',
  tools: [
    tool({ name: 'brave_web_search', medianMs: 780, sigma: 0.6, errorRate: 0.025, resultBytes: 7000, weight: 3, args: (r) => ({ query: `${pick(r, words)} ${pick(r, words)}`, count: 10 }), errors: [err('tool_error', 2, 'Brave API error: 429 Too Many Requests'), err('tool_error', 1, 'Brave API error: 503 Service Unavailable')] }),
    tool({ name: 'brave_local_search', medianMs: 900, sigma: 0.6, errorRate: 0.02, resultBytes: 5000, weight: 1, args: (r) => ({ query: `coffee near ${pick(r, ['Berlin', 'Lisbon', 'Austin'])}` }), errors: [err('tool_error', 1, 'Brave API error: 429 Too Many Requests')] }),
  ],
};

const puppeteer: ServerProfile = {
  name: 'puppeteer',
  mode: 'docker',
  toolsCount: 7,
  startupMedianMs: 4200,
  activeCallsPerSec: 0.15,
  activeMeanS: 40,
  quietMeanS: 150,
  origin: 'discovery',
  sourceType: 'docker',
  tools: [
    tool({ name: 'puppeteer_navigate', medianMs: 1800, sigma: 0.7, errorRate: 0.02, resultBytes: 300, weight: 3, args: (r) => ({ url: pick(r, urls) }), errors: [err('tool_error', 2, 'net::ERR_CONNECTION_TIMED_OUT'), err('-32603', 1, 'Internal error')] }),
    tool({ name: 'puppeteer_screenshot', medianMs: 950, sigma: 0.5, errorRate: 0.015, resultBytes: 180_000, weight: 2, args: (r) => ({ name: `shot-${randomHex(r, 4)}`, width: 1280, height: 800 }), errors: [err('tool_error', 1, 'Protocol error (Page.captureScreenshot): Target closed')] }),
    tool({ name: 'puppeteer_click', medianMs: 240, sigma: 0.6, errorRate: 0.02, resultBytes: 120, weight: 1, args: (r) => ({ selector: pick(r, ['button[type=submit]', '#login', 'a.next']) }), errors: [err('tool_error', 1, 'No element found for selector')] }),
  ],
};

/** The fleet in order: `--servers 5` is the first five. */
export const SERVER_PROFILES: readonly ServerProfile[] = [math, fetchServer, github, filesystem, postgres, slack, sqlite, memory, braveSearch, puppeteer];

/**
 * The profiles of a fleet of `count` servers. Beyond the named ones, profiles
 * repeat with a numeric suffix (`math-2`, `fetch-2`, ...).
 */
export function fleetProfiles(count: number): ServerProfile[] {
  const out: ServerProfile[] = [];
  for (let i = 0; i < count; i++) {
    const base = SERVER_PROFILES[i % SERVER_PROFILES.length]!;
    const round = Math.floor(i / SERVER_PROFILES.length);
    out.push(round === 0 ? base : { ...base, name: `${base.name}-${round + 1}` });
  }
  return out;
}

/** Reasons a health check fails, and the messages a gateway would log. */
export const HEALTH_ERRORS: readonly string[] = [
  'health check timed out after 5s',
  'tools/list returned an error: connection refused',
  'process not responding to ping',
  'unexpected EOF on stdio transport',
];

/** The agent (MCP client) each simulated user calls through; services call for themselves. */
const AGENT_OF: Readonly<Record<string, string | null>> = { ada: 'claude-desktop', grace: null, linus: 'cursor', 'ci-bot': null, 'agent-7': null };
/** Each principal belongs to one tenant, as API keys and tokens do. */
const TENANT_OF: Readonly<Record<string, string>> = { ada: 'acme', grace: 'globex', linus: 'acme', 'ci-bot': 'acme', 'agent-7': 'globex' };

/**
 * An identity context as a gateway attaches it to tool invocations
 * (IdentityContext.to_dict(): user_id, agent_id, session_id, principal_type
 * user|service, tenant_id, correlation_id), or null without auth.
 */
export function identityContext(rng: Prng, correlationId: string | null = null): Record<string, unknown> | null {
  if (rng.next() < 0.55) return null;
  const principal = pick(rng, ['ada', 'grace', 'linus', 'ci-bot', 'agent-7']);
  const service = principal.endsWith('bot') || principal.startsWith('agent');
  // Drawn as the earlier shape drew a tenant, so the rest of a seeded run stays the same.
  pick(rng, ['acme', 'acme', 'globex']);
  const tenant = TENANT_OF[principal]!;
  const session = `s-${randomHex(rng, 8)}`;
  return {
    user_id: `${service ? 'service' : 'user'}:${principal}`,
    agent_id: AGENT_OF[principal] ?? null,
    session_id: session,
    principal_type: service ? 'service' : 'user',
    tenant_id: tenant,
    correlation_id: correlationId,
  };
}

/** A result size around the tool's median. */
export function resultSize(rng: Prng, medianBytes: number): number {
  return Math.max(2, Math.round(medianBytes * uniform(rng, 0.3, 2.2)));
}
