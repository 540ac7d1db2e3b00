// Realistic, deterministic events for the baselines and the in-process
// publisher: the field shapes of PROTOCOL.md, ~250-450 bytes serialized.
const SERVERS = ['math', 'fetch', 'github', 'filesystem', 'postgres'];
const TOOLS = { math: ['add', 'multiply', 'solve'], fetch: ['get', 'head'], github: ['search_issues', 'create_pr', 'get_file'], filesystem: ['read_file', 'list_dir', 'write_file'], postgres: ['query', 'explain'] };

/** A tiny seeded PRNG (mulberry32): the same seed gives the same events. */
export function createRandom(seed = 1) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UUID-v4-shaped id drawn from the seeded PRNG (deterministic, unlike crypto.randomUUID). */
function uuidFrom(random) {
  let hex = '';
  for (let i = 0; i < 4; i++) hex += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function pick(random, list) {
  return list[Math.floor(random() * list.length)];
}

/** One realistic event (a mix weighted towards tool calls, as a busy fleet produces). */
export function makeEvent(random, index, occurredAt = 1795727378.4531293 + index / 1000) {
  const server = pick(random, SERVERS);
  const id = { event_id: uuidFrom(random), occurred_at: occurredAt, produced_by: 'hangar-bench' };
  const roll = random();
  const correlation = `c-${index}`;
  if (roll < 0.3) {
    return { event_type: 'ToolInvocationRequested', ...id, mcp_server_id: server, tool_name: pick(random, TOOLS[server]), correlation_id: correlation, arguments: { path: `/srv/data/${index % 97}.json`, limit: 50 }, identity_context: null };
  }
  if (roll < 0.6) {
    return { event_type: 'ToolInvocationCompleted', ...id, mcp_server_id: server, tool_name: pick(random, TOOLS[server]), correlation_id: correlation, duration_ms: Math.round(random() * 80000) / 100, result_size_bytes: Math.floor(random() * 20000), identity_context: null };
  }
  if (roll < 0.68) {
    return { event_type: 'ToolInvocationFailed', ...id, mcp_server_id: server, tool_name: pick(random, TOOLS[server]), correlation_id: correlation, duration_ms: Math.round(random() * 3000000) / 100, error_message: 'upstream timed out after 30s', error_type: 'TimeoutError', identity_context: null };
  }
  if (roll < 0.85) {
    return { event_type: 'HealthCheckPassed', ...id, mcp_server_id: server, duration_ms: Math.round(random() * 5000) / 100 };
  }
  if (roll < 0.92) {
    return { event_type: 'HealthCheckFailed', ...id, mcp_server_id: server, consecutive_failures: 1 + Math.floor(random() * 4), error_message: 'connection refused (ECONNREFUSED 127.0.0.1:7011)' };
  }
  if (roll < 0.97) {
    const states = ['cold', 'initializing', 'ready', 'degraded', 'dead'];
    return { event_type: 'McpServerStateChanged', ...id, mcp_server_id: server, old_state: pick(random, states), new_state: pick(random, states) };
  }
  return { event_type: 'CircuitBreakerStateChanged', ...id, mcp_server_id: server, old_state: 'closed', new_state: 'open' };
}

/** `count` events, each serialized once, as Buffers (the baselines cycle through them). */
export function makeSerializedPool(count, seed = 1) {
  const random = createRandom(seed);
  const pool = [];
  for (let i = 0; i < count; i++) pool.push(Buffer.from(JSON.stringify(makeEvent(random, i))));
  return pool;
}

/** A serialized event padded (in a `pad` field) to exactly `bytes` bytes when larger than its natural size. */
export function padEventTo(bytes, seed = 1) {
  const base = JSON.stringify(makeEvent(createRandom(seed), 0));
  if (base.length + 12 >= bytes) return Buffer.from(base);
  const pad = 'x'.repeat(bytes - base.length - 10);
  return Buffer.from(base.slice(0, -1) + `,"pad":"${pad}"}`);
}
