// Every child process the harness starts goes through here, so that all of
// them are killed when the harness exits (normally, on a signal or on a crash),
// and none can outlive its scenario's time bound.
import { fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = join(benchDir, '..');
export const cliPath = join(repoRoot, 'bin', 'hangar-events.js');

const live = new Set();

function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function killAll(signal = 'SIGKILL') {
  for (const child of live) {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

let installed = false;
export function installExitHandlers() {
  if (installed) return;
  installed = true;
  process.on('exit', () => killAll());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Resolves when `child` has exited (immediately when it already has). */
export function whenExited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Kills a child and waits until it is gone. */
export async function stop(child, signal = 'SIGTERM', graceMs = 2000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await whenExited(child);
  clearTimeout(timer);
}

/**
 * A forked worker (bench/workers/*.js) with a request/response IPC channel:
 * `await worker.call({cmd: ...})` resolves with the reply carrying the same id.
 */
export async function startWorker(script, args = {}, { nodeArgs = [], timeoutMs = 20000 } = {}) {
  const child = track(fork(join(benchDir, 'workers', script), [JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: nodeArgs }));
  let nextId = 1;
  const pending = new Map();
  const listeners = new Set();
  child.on('message', (message) => {
    if (message.id && pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(`${script}: ${message.error}`));
      else resolve(message);
      return;
    }
    for (const listener of listeners) listener(message);
  });
  child.once('exit', (code, signal) => {
    for (const { reject } of pending.values()) reject(new Error(`${script} exited (${code ?? signal})`));
    pending.clear();
  });
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message) => {
      if (message.type === 'ready' || message.type === 'failed') {
        clearTimeout(timer);
        listeners.delete(onMessage);
        if (message.type === 'failed') reject(new Error(`${script}: ${message.error}`));
        else resolve(message);
      }
    };
    listeners.add(onMessage);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready`));
    });
  });
  return {
    child,
    pid: child.pid,
    ready,
    call(message, callTimeoutMs = 120000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${script}: ${message.cmd} timed out after ${callTimeoutMs} ms`));
        }, callTimeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ ...message, id });
      });
    },
    send(message) {
      if (child.connected) child.send(message);
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => stop(child),
  };
}

/** Spawns the built CLI (`node bin/hangar-events.js ...args`). */
export function spawnCli(args, options = {}) {
  return track(
    spawn(process.execPath, [cliPath, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', TERM: 'dumb', ...options.env },
      ...options,
    }),
  );
}

export function spawnTracked(command, args, options = {}) {
  return track(spawn(command, args, options));
}

/** Resolves with the first match of `pattern` in a child's stream (stderr by default), or rejects on timeout/exit. */
export function waitForLine(child, pattern, { stream = 'stderr', timeoutMs = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    let text = '';
    const source = child[stream];
    const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got: ${text.slice(-500)}`)), timeoutMs);
    const onData = (chunk) => {
      text += chunk;
      const match = pattern.exec(text);
      if (match) finish(null, match);
    };
    const onExit = (code) => finish(new Error(`exited (${code}) before a line matching ${pattern}; got: ${text.slice(-500)}`));
    function finish(error, match) {
      clearTimeout(timer);
      source.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(match);
    }
    source.setEncoding('utf8');
    source.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Starts `serve` from the built CLI on port 0 and resolves with its URL once it listens. */
export async function startServeCli(args) {
  const child = spawnCli(['serve', '--port', '0', ...args]);
  const match = await waitForLine(child, /listening on (ws:\/\/\S+)/);
  // Keep draining its log so that a full stderr pipe never stalls the server.
  child.stderr.resume();
  child.stdout.resume();
  return { child, pid: child.pid, url: match[1] };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
