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

const words = ['weather', 'invoice', 'deploy', 'latency', 'rust', 'postgres', 'mcp', 'kubernetes', 'retry', 'budget', 'release', 'hangar'];
const paths = ['/workspace/README.md', '/workspace/src/index.ts', '/workspace/package.json', '/workspace/docs/design.md', '/workspace/.env', '/workspace/data/report.csv', '/tmp/scratch.txt'];
const urls = ['https://example.com/', 'https://docs.python.org/3/library/asyncio.html', 'https://news.ycombinator.com/', 'https://api.github.com/repos/nodejs/node', 'https://httpbin.org/delay/3', 'https://en.wikipedia.org/wiki/Model_Context_Protocol'];
const repos = ['acme/api', 'acme/web', 'mcp-hangar/hangar', 'nodejs/node', 'microsoft/typescript'];
const tables = ['users', 'orders', 'invoices', 'events', 'sessions'];
const channels = ['#general', '#deploys', '#incidents', '#random'];

const timeout = (ms: number) => err('TimeoutError', 0, `tool call exceeded timeout of ${ms / 1000}s`);

function tool(partial: Partial<ToolProfile> & Pick<ToolProfile, 'name' | 'medianMs' | 'args'>): ToolProfile {
  return {
    sigma: 0.5,
    errorRate: 0.02,
    errors: [err('ToolExecutionError', 1, 'tool raised an exception')],
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
    tool({ name: 'add', medianMs: 2.5, sigma: 0.4, errorRate: 0.005, resultBytes: 24, weight: 4, args: (r) => ({ a: randomInt(r, -500, 5000), b: randomInt(r, -500, 5000) }), errors: [err('ValidationError', 1, "argument 'a' must be a number")] }),
    tool({ name: 'multiply', medianMs: 2.8, sigma: 0.4, errorRate: 0.005, resultBytes: 24, weight: 3, args: (r) => ({ a: randomInt(r, 0, 999), b: randomInt(r, 0, 999) }), errors: [err('ValidationError', 1, "argument 'b' must be a number")] }),
    tool({ name: 'divide', medianMs: 3, sigma: 0.4, errorRate: 0.06, resultBytes: 28, weight: 2, args: (r) => ({ a: randomInt(r, 0, 999), b: randomInt(r, 0, 9) }), errors: [err('ValidationError', 1, 'division by zero')] }),
    tool({ name: 'power', medianMs: 4, sigma: 0.6, errorRate: 0.01, resultBytes: 40, weight: 1, args: (r) => ({ base: randomInt(r, 2, 12), exponent: randomInt(r, 0, 64) }), errors: [err('OverflowError', 1, 'result too large')] }),
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
      errorRate: 0.07,
      timeoutMs: 30_000,
      resultBytes: 18_000,
      args: (r) => ({ url: pick(r, urls), max_length: pick(r, [5000, 10000, 20000]) }),
      errors: [
        err('HTTPError', 3, (r) => `HTTP ${pick(r, [403, 404, 429, 500, 502, 503])} from upstream`),
        err('ConnectionError', 1, 'connection reset by peer'),
        err('ValidationError', 1, "argument 'url' must be an absolute http(s) URL"),
        timeout(30_000),
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
    tool({ name: 'search_repositories', medianMs: 520, sigma: 0.6, errorRate: 0.03, resultBytes: 9000, weight: 3, args: (r) => ({ query: `${pick(r, words)} language:${pick(r, ['python', 'typescript', 'go'])}`, per_page: 10 }), errors: [err('RateLimitError', 2, 'GitHub API rate limit exceeded; resets in 42s'), err('HTTPError', 1, 'HTTP 502 from api.github.com')] }),
    tool({ name: 'get_file_contents', medianMs: 310, sigma: 0.5, errorRate: 0.05, resultBytes: 6000, weight: 3, args: (r) => ({ owner: pick(r, repos).split('/')[0], repo: pick(r, repos).split('/')[1], path: pick(r, ['README.md', 'src/index.ts', 'package.json']) }), errors: [err('NotFoundError', 3, 'file not found in repository'), err('RateLimitError', 1, 'GitHub API rate limit exceeded; resets in 17s')] }),
    tool({ name: 'list_pull_requests', medianMs: 380, sigma: 0.5, errorRate: 0.02, resultBytes: 12_000, weight: 2, args: (r) => ({ owner: 'acme', repo: pick(r, ['api', 'web']), state: 'open' }), errors: [err('RateLimitError', 1, 'GitHub API rate limit exceeded; resets in 8s')] }),
    tool({ name: 'create_issue', medianMs: 640, sigma: 0.4, errorRate: 0.04, resultBytes: 1500, weight: 1, args: (r) => ({ owner: 'acme', repo: 'api', title: `Investigate ${pick(r, words)} regression` }), errors: [err('PermissionError', 1, 'token lacks the "issues: write" permission'), err('ValidationError', 1, "argument 'title' must not be empty")] }),
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
    tool({ name: 'read_file', medianMs: 6, sigma: 0.7, errorRate: 0.04, resultBytes: 4200, weight: 5, args: (r) => ({ path: pick(r, paths) }), errors: [err('FileNotFoundError', 3, 'no such file or directory'), err('PermissionError', 1, 'access denied: path outside allowed directories')] }),
    tool({ name: 'list_directory', medianMs: 4, sigma: 0.5, errorRate: 0.01, resultBytes: 900, weight: 3, args: (r) => ({ path: pick(r, ['/workspace', '/workspace/src', '/workspace/docs']) }), errors: [err('FileNotFoundError', 1, 'no such file or directory')] }),
    tool({ name: 'write_file', medianMs: 9, sigma: 0.6, errorRate: 0.03, resultBytes: 60, weight: 1, args: (r) => ({ path: pick(r, paths), content: `# notes ${randomHex(r, 6)}\n` }), errors: [err('PermissionError', 2, 'access denied: path outside allowed directories'), err('OSError', 1, 'no space left on device')] }),
    tool({ name: 'search_files', medianMs: 35, sigma: 0.8, errorRate: 0.01, resultBytes: 1600, weight: 1, args: (r) => ({ path: '/workspace', pattern: `*${pick(r, ['.ts', '.md', '.json'])}` }), errors: [err('ValidationError', 1, "argument 'pattern' is not a valid glob")] }),
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
      errorRate: 0.05,
      timeoutMs: 15_000,
      resultBytes: 3500,
      args: (r) => ({ sql: pick(r, [`SELECT count(*) FROM ${pick(r, tables)}`, `SELECT * FROM ${pick(r, tables)} ORDER BY created_at DESC LIMIT 20`, `SELECT status, count(*) FROM orders GROUP BY status`]) }),
      errors: [
        err('QueryError', 3, (r) => pick(r, ['relation "order_items" does not exist', 'syntax error at or near "FROM"', 'column "email_addr" does not exist'])),
        err('PermissionError', 1, 'cannot execute INSERT in a read-only transaction'),
        timeout(15_000),
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
    tool({ name: 'slack_post_message', medianMs: 260, sigma: 0.4, errorRate: 0.03, resultBytes: 400, weight: 2, args: (r) => ({ channel_id: pick(r, channels), text: `deploy ${randomHex(r, 7)} finished` }), errors: [err('RateLimitError', 1, 'slack rate limited: retry after 3s'), err('NotFoundError', 1, 'channel_not_found')] }),
    tool({ name: 'slack_list_channels', medianMs: 190, sigma: 0.4, errorRate: 0.01, resultBytes: 5200, weight: 1, args: () => ({ limit: 100 }) }),
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
    tool({ name: 'read_query', medianMs: 4, sigma: 0.8, errorRate: 0.04, resultBytes: 2000, weight: 3, args: (r) => ({ query: `SELECT * FROM ${pick(r, tables)} LIMIT 10` }), errors: [err('QueryError', 1, 'no such table: order_items')] }),
    tool({ name: 'list_tables', medianMs: 2, sigma: 0.3, errorRate: 0.0, resultBytes: 180, weight: 1, args: () => ({}) }),
    tool({ name: 'write_query', medianMs: 8, sigma: 0.6, errorRate: 0.06, resultBytes: 40, weight: 1, args: (r) => ({ query: `UPDATE ${pick(r, tables)} SET seen = 1 WHERE id = ${randomInt(r, 1, 999)}` }), errors: [err('QueryError', 1, 'database is locked')] }),
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
    tool({ name: 'search_nodes', medianMs: 7, sigma: 0.5, errorRate: 0.005, resultBytes: 1400, weight: 3, args: (r) => ({ query: pick(r, words) }) }),
    tool({ name: 'create_entities', medianMs: 11, sigma: 0.5, errorRate: 0.02, resultBytes: 300, weight: 1, args: (r) => ({ entities: [{ name: pick(r, words), entityType: 'concept', observations: ['mentioned by user'] }] }), errors: [err('ValidationError', 1, "entity is missing 'entityType'")] }),
    tool({ name: 'read_graph', medianMs: 15, sigma: 0.6, errorRate: 0.0, resultBytes: 22_000, weight: 1, args: () => ({}) }),
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
    tool({ name: 'brave_web_search', medianMs: 780, sigma: 0.6, errorRate: 0.05, resultBytes: 7000, weight: 3, args: (r) => ({ query: `${pick(r, words)} ${pick(r, words)}`, count: 10 }), errors: [err('RateLimitError', 2, 'brave search: 429 rate limit (1 request/s on the free plan)'), err('HTTPError', 1, 'HTTP 503 from api.search.brave.com'), timeout(30_000)] }),
    tool({ name: 'brave_local_search', medianMs: 900, sigma: 0.6, errorRate: 0.05, resultBytes: 5000, weight: 1, args: (r) => ({ query: `coffee near ${pick(r, ['Berlin', 'Lisbon', 'Austin'])}` }), errors: [err('RateLimitError', 1, 'brave search: 429 rate limit')] }),
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
    tool({ name: 'puppeteer_navigate', medianMs: 1800, sigma: 0.7, errorRate: 0.08, resultBytes: 300, weight: 3, args: (r) => ({ url: pick(r, urls) }), errors: [err('NavigationError', 2, 'net::ERR_NAME_NOT_RESOLVED'), timeout(30_000)] }),
    tool({ name: 'puppeteer_screenshot', medianMs: 950, sigma: 0.5, errorRate: 0.03, resultBytes: 180_000, weight: 2, args: (r) => ({ name: `shot-${randomHex(r, 4)}`, width: 1280, height: 800 }), errors: [err('ToolExecutionError', 1, 'page crashed while capturing')] }),
    tool({ name: 'puppeteer_click', medianMs: 240, sigma: 0.6, errorRate: 0.1, resultBytes: 120, weight: 1, args: (r) => ({ selector: pick(r, ['button[type=submit]', '#login', 'a.next']) }), errors: [err('ValidationError', 1, 'no element matches selector')] }),
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

/** An identity context as a gateway attaches it to tool invocations (or null without auth). */
export function identityContext(rng: Prng): Record<string, unknown> | null {
  if (rng.next() < 0.55) return null;
  const principal = pick(rng, ['ada', 'grace', 'linus', 'ci-bot', 'agent-7']);
  return {
    principal_id: `user:${principal}`,
    principal_type: principal.endsWith('bot') || principal.startsWith('agent') ? 'service_account' : 'user',
    tenant_id: pick(rng, ['acme', 'acme', 'globex']),
    session_id: `s-${randomHex(rng, 8)}`,
  };
}

/** A result size around the tool's median. */
export function resultSize(rng: Prng, medianBytes: number): number {
  return Math.max(2, Math.round(medianBytes * uniform(rng, 0.3, 2.2)));
}
