import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startCli } from '../helpers/spawn.js';

const clients: ChildProcess[] = [];
afterEach(async () => {
  for (const child of clients) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  clients.length = 0;
  await killAll();
});

const wsModule = fileURLToPath(new URL('../../node_modules/ws/wrapper.mjs', import.meta.url));

/** A well-behaved client in its own process: answers every ping, prints each frame's type. */
function startPongingClient(url: string): { child: ChildProcess; output: () => string; waitFor: (pattern: RegExp) => Promise<void> } {
  const script = `
    import { WebSocket } from ${JSON.stringify(wsModule)};
    const ws = new WebSocket(${JSON.stringify(url)});
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe' })));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      console.log(frame.type ?? frame.event_type);
    });
    ws.on('close', (code) => console.log('closed ' + code));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  clients.push(child);
  let out = '';
  const listeners: Array<() => void> = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const l of [...listeners]) l();
  });
  return {
    child,
    output: () => out,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`client never printed ${pattern}; got:\n${out}`)), 15_000);
        const check = () => {
          if (pattern.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        };
        listeners.push(check);
        check();
      }),
  };
}

describe('serve faults (spawned binaries)', () => {
  it('notices a dead (SIGSTOPped) client by its unanswered ping and frees the connection, while a live one stays', async () => {
    const serve = startCli(['serve', '--port', '0', '--no-demo', '--ping-interval', '300ms', '--pong-timeout', '3s']);
    const url = (await serve.waitFor('stderr', /listening on (ws:\/\/\S+)/))[1]!;
    const live = startPongingClient(url);
    await serve.waitFor('stderr', /client #1 connected/);
    const doomed = startPongingClient(url);
    await serve.waitFor('stderr', /client #2 connected/);
    // Both answer pings while running: several pings pass without a disconnect.
    await live.waitFor(/(ping\n[^]*){3}/);
    await doomed.waitFor(/(ping\n[^]*){3}/);
    expect(serve.stderr()).not.toMatch(/disconnected/);
    doomed.child.kill('SIGSTOP');
    await serve.waitFor('stderr', /client #2 did not answer ping within 3s: closing it/);
    await serve.waitFor('stderr', /client #2 disconnected .*\(1 connected\)/);
    // The live client carries on and keeps being pinged.
    const pingsBefore = live.output().split('ping').length;
    await live.waitFor(new RegExp(`(ping\\n[^]*){${pingsBefore + 1}}`));
    expect(serve.stderr()).not.toMatch(/client #1 disconnected/);
  });
});
