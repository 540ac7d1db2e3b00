import { startEmbeddedServe, type EmbeddedServe } from '../../app/embedded-serve.js';
import { readCaFile, readKeyFile } from '../../credentials.js';
import { AuthError, describeError, PermanentConnectionError, RuntimeError, StoreError, UsageError } from '../../errors.js';
import type { IO } from '../../io/io.js';
import type { CountingSource } from '../../sources/stream-source.js';
import { createServerLog } from '../../server/log.js';
import { isLoopbackHost } from '../../server/request-guard.js';
import type { ServeOptions, UpstreamOptions } from './options.js';
import { buildHeaders } from '../../credentials.js';
import { plural } from '../../format/plural.js';

/**
 * Runs `serve` until SIGINT/SIGTERM: starts the server, prints the
 * `listening on` line, feeds every source into the hub, and on a signal stops
 * accepting, closes every client with 1001 and resolves (exit 0).
 */
export async function runServe(options: ServeOptions, io: IO): Promise<void> {
  const log = createServerLog(io, options.logFormat);
  const apiKeys = [...options.server.apiKeys];
  if (options.apiKeyFile !== undefined) apiKeys.push(...(await readKeyFile(options.apiKeyFile, io.cwd, '--api-key-file')));

  let stopRequested: () => void = () => {};
  let fatal: Error | undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const removeHandlers = [io.onSignal('SIGINT', () => stopRequested()), io.onSignal('SIGTERM', () => stopRequested())];
  let embedded: EmbeddedServe | undefined;
  try {
    const upstream = options.upstream ? await resolveUpstream(options.upstream, io) : undefined;
    const running = await startEmbeddedServe({ ...options, relay: upstream, server: { ...options.server, apiKeys } }, io, log);
    embedded = running;
    const { server } = running;
    log.info(`listening on ${server.url}`, { event: 'listening', url: server.url, port: server.port });
    if (apiKeys.length > 0) {
      // Say where the keys came from: an exported HANGAR_API_KEY meant for a gateway must not lock a local serve silently.
      const fromEnv = options.keySources.includes('HANGAR_API_KEY')
        ? '; HANGAR_API_KEY is set in this environment (unset it for a serve without a key, or pass --api-key to choose one)'
        : '';
      log.info(`clients must send an API key (${apiKeys.length} accepted, from ${options.keySources.join(', ')})${fromEnv}`, {
        event: 'auth',
        keys: apiKeys.length,
        key_sources: options.keySources,
      });
    } else if (!isLoopbackHost(options.server.host)) {
      log.warn(`no API key on a non-loopback address (--insecure-no-auth): anyone who can reach ${options.server.host} can read and publish events`, { event: 'auth', keys: 0 });
    }
    running.feed({
      // Sources name themselves in their messages ("demo: ...", "stdin line 3: ...").
      log: (source) => ({
        info: (message) => log.info(message, { event: 'source', source: source.name }),
        warn: (message) => log.warn(message, { event: 'source', source: source.name }),
      }),
      ended: (source) => {
        const counts = source as Partial<CountingSource>;
        const summary = typeof counts.published === 'number' ? `: ${plural(counts.published, 'event')} published, ${plural(counts.badLines ?? 0, 'bad line')}` : '';
        log.info(`${source.name} ended${summary}; still serving (clients stay connected, history and HTTP ingest stay available)`, {
          event: 'source_ended',
          source: source.name,
          published: counts.published,
          bad_lines: counts.badLines,
        });
      },
      waiting: (sources) =>
        log.info(`waiting for the first client before starting ${sources.map((source) => source.name).join(', ')} (--wait-for-client)`, {
          event: 'waiting_for_client',
          sources: sources.map((source) => source.name),
        }),
      failed: (source, error) => {
        // A relay whose gateway refuses it (credentials, TLS) has nothing to relay: stop with that error.
        if (options.upstream !== undefined && (error instanceof AuthError || error instanceof PermanentConnectionError)) {
          log.warn(`${source.name} failed: ${describeError(error)}; stopping (serve --upstream has nothing to relay)`, { event: 'source_failed', source: source.name });
          fatal = error;
          stopRequested();
          return;
        }
        log.warn(`${source.name} failed: ${describeError(error)}; still serving`, { event: 'source_failed', source: source.name });
      },
    });
    await stopped;
    log.info('shutting down: closing clients', { event: 'stopping' });
    await running.close();
    log.info('stopped', { event: 'stopped' });
    if (fatal !== undefined) throw fatal;
  } catch (error) {
    await embedded?.server.close();
    if (error instanceof UsageError || error instanceof RuntimeError || error instanceof StoreError || error instanceof AuthError || error instanceof PermanentConnectionError) throw error;
    throw new RuntimeError('serve failed', { cause: error });
  } finally {
    for (const remove of removeHandlers) remove();
  }
}

/** Reads the upstream's key file and CA, and builds its upgrade headers (tail's rules). */
async function resolveUpstream(upstream: UpstreamOptions, io: IO): Promise<{ urls: readonly string[]; headers: Readonly<Record<string, string>>; ca: Buffer | undefined; insecure: boolean }> {
  const apiKey = upstream.apiKeyFile !== undefined ? (await readKeyFile(upstream.apiKeyFile, io.cwd, '--upstream-api-key-file'))[0] : upstream.apiKey;
  // The same rule as tail's --ca (credentials.ts): a file that is not PEM is a usage error.
  const ca = upstream.caFile !== undefined ? await readCaFile(upstream.caFile, io.cwd, '--upstream-ca') : undefined;
  return { urls: upstream.urls, headers: buildHeaders({ apiKey, bearer: upstream.bearer, extra: upstream.headers }), ca, insecure: upstream.insecure };
}
