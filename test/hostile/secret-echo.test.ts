import { afterEach, describe, expect, test } from 'vitest';
import { killAll, runCli } from '../helpers/spawn.js';

/**
 * A credential given in a malformed flag or inside a URL is never echoed:
 * not in a usage error, not in connection status, not in the final error.
 * (The real binary, spawned; the secret is searched in everything it wrote.)
 * URLs are printed without user:password and without their query (src/format/url.ts).
 */

const SECRET = 'mcp_s3cr3tV4lue';

afterEach(async () => {
  await killAll();
});

describe('secrets in malformed input are never echoed', () => {
  const cases: { name: string; args: string[]; code: number; says: RegExp }[] = [
    { name: '-H without a colon', args: ['tail', 'ws://127.0.0.1:1/api/ws/events', '-H', `X-API-Key ${SECRET}`], code: 2, says: /invalid -H\/--header 'X-API-Key' \.\.\./ },
    { name: '-H that is only the key', args: ['tail', 'ws://127.0.0.1:1/api/ws/events', '-H', SECRET], code: 2, says: /invalid -H\/--header \(not shown\)/ },
    { name: '-H with an invalid name', args: ['tail', 'ws://127.0.0.1:1/api/ws/events', '-H', `Authorization Bearer ${SECRET}: x`], code: 2, says: /invalid -H\/--header name 'Authorization' \.\.\./ },
    { name: 'an invalid URL with user:password', args: ['tail', `ws://user:${SECRET}@127.0.0.1:99999/`], code: 2, says: /invalid URL 'ws:\/\/\*\*\*@127\.0\.0\.1:99999\/'/ },
    { name: 'an invalid URL with ?token=', args: ['tail', `ws://127.0.0.1:99999/?token=${SECRET}`], code: 2, says: /invalid URL 'ws:\/\/127\.0\.0\.1:99999\/'/ },
    { name: 'a refused connection to a URL with ?token= and user:password', args: ['tail', `ws://u:${SECRET}@127.0.0.1:1/api/ws/events?token=${SECRET}`, '--max-retries', '0'], code: 1, says: /cannot connect to ws:\/\/127\.0\.0\.1:1\/api\/ws\/events: / },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const result = await runCli(c.args, { timeoutMs: 20_000 });
      expect(result.code, result.stderr).toBe(c.code);
      expect(result.stderr).toMatch(c.says);
      expect(result.stderr + result.stdout).not.toContain(SECRET);
      expect(result.stderr + result.stdout).not.toContain('s3cr3t');
    });
  }
});
