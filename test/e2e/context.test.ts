import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configPath } from '../../src/config/contexts.js';
import { killAll, runCli, startCli } from '../helpers/spawn.js';

/** `hangar-events context ...` and `tail --context` / HANGAR_CONTEXT, from the real binary. */

const dirs: string[] = [];
afterEach(async () => {
  await killAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function configHome(): { env: Record<string, string>; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-context-'));
  dirs.push(dir);
  const file = join(dir, 'hangar-events', 'config.json');
  return { env: { HANGAR_CONFIG: file }, file };
}

describe('config location', () => {
  it('follows XDG on Linux, Application Support on macOS, APPDATA on Windows', () => {
    expect(configPath({ HOME: '/home/ada', XDG_CONFIG_HOME: '/home/ada/.xdg' }, 'linux')).toBe('/home/ada/.xdg/hangar-events/config.json');
    expect(configPath({ HOME: '/home/ada' }, 'linux')).toBe('/home/ada/.config/hangar-events/config.json');
    expect(configPath({ HOME: '/Users/ada' }, 'darwin')).toBe('/Users/ada/Library/Application Support/hangar-events/config.json');
    expect(configPath({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'win32')).toContain('hangar-events');
    expect(configPath({ HANGAR_CONFIG: '/etc/hangar.json', HOME: '/home/ada' }, 'linux')).toBe('/etc/hangar.json');
  });
});

describe('hangar-events context', () => {
  it('stores a key only as a variable name or a file, and tail uses the context for URL and key', async () => {
    const { env, file } = configHome();
    const serve = startCli(['serve', '--port', '0', '--no-demo', '--api-key', 'the-prod-key']);
    const [, url, port] = await serve.waitFor('stderr', /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events)/);
    await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', headers: { 'X-API-Key': 'the-prod-key' }, body: '{"event_type":"McpServerStarted","mcp_server_id":"math"}' });

    const clear = await runCli(['context', 'add', 'prod', '--url', url!, '--api-key', 'the-prod-key'], { env });
    expect(clear.code).toBe(2);
    expect(clear.stderr).toContain('a context never stores a key in clear: put it in a file (--api-key-file FILE) or a variable (--api-key-env NAME)');

    const added = await runCli(['context', 'add', 'prod', '--url', url!, '--api-key-env', 'PROD_HANGAR_KEY', '--use'], { env });
    expect(added.code).toBe(0);
    expect(added.stderr).toBe("hangar-events: context 'prod' saved and in use\n");
    const stored = readFileSync(file, 'utf8');
    expect(JSON.parse(stored)).toEqual({ current: 'prod', contexts: { prod: { url: url!, apiKeyEnv: 'PROD_HANGAR_KEY' } } });
    expect(stored).not.toContain('the-prod-key');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const listed = await runCli(['context', 'list'], { env });
    expect(listed.stdout.split('\n').map((line) => line.split(/ {2,}/))).toEqual([['CURRENT', 'NAME', 'URL', 'KEY', 'TLS'], ['*', 'prod', url!, '$PROD_HANGAR_KEY', '-'], ['']]);
    expect((await runCli(['context', 'list', '--names'], { env })).stdout).toBe('prod\n');
    expect(JSON.parse((await runCli(['context', 'show'], { env })).stdout)).toMatchObject({ name: 'prod', current: true, apiKeyEnv: 'PROD_HANGAR_KEY' });

    // The current context: no URL, no key flag.
    const current = await runCli(['tail', '--history', '1', '--no-follow'], { env: { ...env, PROD_HANGAR_KEY: 'the-prod-key' } });
    expect(current.code).toBe(0);
    expect(JSON.parse(current.stdout)).toMatchObject({ event_type: 'McpServerStarted' });
    // Selected by name; a missing variable says which.
    const unset = await runCli(['tail', '--context', 'prod', '--history', '1', '--no-follow'], { env });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain("context 'prod' reads its key from $PROD_HANGAR_KEY, which is not set");
    const unknown = await runCli(['tail', '--history', '1', '--no-follow'], { env: { ...env, HANGAR_CONTEXT: 'staging' } });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no context 'staging' (from HANGAR_CONTEXT); there are: prod");

    expect((await runCli(['context', 'remove', 'prod'], { env })).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ contexts: {} });
  });

  it('serve never picks up a context or its key', async () => {
    const { env } = configHome();
    await runCli(['context', 'add', 'prod', '--url', 'ws://127.0.0.1:9', '--api-key-env', 'PROD_HANGAR_KEY', '--use'], { env });
    const serve = startCli(['serve', '--port', '0', '--no-demo'], { env: { ...env, HANGAR_CONTEXT: 'prod', PROD_HANGAR_KEY: 'the-prod-key' } });
    const [, url, port] = await serve.waitFor('stderr', /listening on (ws:\/\/127\.0\.0\.1:(\d+)\S*)/);
    const posted = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', body: '{"event_type":"McpServerStarted","mcp_server_id":"math"}' });
    expect(posted.status).toBeLessThan(300);
    // No key was asked for: a tail without one reads the history (a keyed serve would refuse it with 403, exit 4).
    const tail = await runCli(['tail', url!, '--history', '1', '--no-follow'], { env: {} });
    expect(tail.code).toBe(0);
    expect(serve.stderr()).not.toContain('clients must send an API key');
  });

  it('refuses a credential in the URL or a header, with advice, and writes nothing', async () => {
    const { env, file } = configHome();
    const cases: Array<[string[], string]> = [
      [['--url', 'ws://gw.example:8000/api/ws/events?token=SECRET-QUERY'], "the URL's query parameter 'token' holds one"],
      [['--url', 'wss://ada:SECRET-PASSWORD@gw.example/'], "the URL's user:password holds one"],
      [['--url', 'gw.example:8000', '-H', 'X-API-Key: SECRET-HEADER'], "the header 'X-API-Key' holds one"],
      [['--url', 'gw.example:8000', '-H', 'Authorization: Bearer SECRET-BEARER'], "the header 'Authorization' holds one"],
    ];
    for (const [flags, reason] of cases) {
      const result = await runCli(['context', 'add', 'prod', ...flags], { env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`a context never stores a credential in clear, and ${reason}: put the key in a file (--api-key-file FILE) or a variable (--api-key-env NAME)`);
      expect(result.stderr).not.toContain('SECRET');
      expect(existsSync(file)).toBe(false);
    }
    // A harmless header and query are kept.
    const fine = await runCli(['context', 'add', 'prod', '--url', 'ws://gw.example:8000/api/ws/events?tenant=a', '-H', 'X-Tenant: a'], { env });
    expect(fine.code).toBe(0);
  });

  it('never prints a credential a hand-written context holds, and warns when others can change the config', async () => {
    const { env, file } = configHome();
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify({
      current: 'old',
      contexts: { old: { url: 'ws://ada:SECRET-PASSWORD@127.0.0.1:9/api/ws/events?token=SECRET-QUERY', headers: ['X-API-Key: SECRET-HEADER', 'X-Tenant: a'] } },
    }), { mode: 0o600 });

    const list = await runCli(['context', 'list'], { env });
    expect(list.stdout.split('\n')[1]!.split(/ {2,}/)).toEqual(['*', 'old', 'ws://127.0.0.1:9/api/ws/events?token=***', '-', '-']);
    expect(list.stdout).not.toContain('SECRET');
    expect(list.stderr).toBe('');
    const show = await runCli(['context', 'show', 'old'], { env });
    expect(show.stdout).not.toContain('SECRET');
    expect(JSON.parse(show.stdout)).toMatchObject({ url: 'ws://127.0.0.1:9/api/ws/events?token=***', headers: ['X-API-Key: ***', 'X-Tenant: a'] });

    chmodSync(file, 0o666);
    const open = await runCli(['context', 'list'], { env });
    expect(open.stderr).toContain(`hangar-events: warning: the config file ${file} is writable by anyone (mode 666): whoever can change it can point tail at another URL and have it send any environment variable as a key; run chmod 600 ${file}`);
    const tail = await runCli(['tail', '--history', '1', '--no-follow', '--timeout', '1s'], { env });
    expect(tail.stderr).toContain(`the config file ${file} is writable by anyone (mode 666)`);
    expect(tail.stderr).not.toContain('SECRET');
  });
});
