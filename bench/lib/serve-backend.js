// Starts hangar-events' own server in this process through the exported
// startServer() of the build (dist/server/server.js), with its documented
// defaults on 127.0.0.1 port 0, and exposes the publisher interface of
// workers/server.js: events go straight into the hub, as a source's would.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { createRandom, makeEvent } from './events.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function load(relative) {
  const file = join(root, 'dist', ...relative.split('/'));
  if (!existsSync(file)) throw new Error(`${file} is missing: build first (npm run build), or serve has not landed yet`);
  return import(pathToFileURL(file).href);
}

/** Events published back to back per event-loop turn in pump mode (serve's MAX_RATE_BATCH). */
const PUMP_BATCH = 256;

/** @param {{queueSize?: number}} options */
export async function startServeBackend(options = {}) {
  const { startServer, DEFAULT_SERVER_OPTIONS } = await load('server/server.js');
  const { systemIO } = await load('io/system-io.js');
  if (typeof startServer !== 'function' || !DEFAULT_SERVER_OPTIONS) throw new Error('dist/server/server.js does not export startServer and DEFAULT_SERVER_OPTIONS');
  const serverOptions = { ...DEFAULT_SERVER_OPTIONS, host: '127.0.0.1', port: 0 };
  if (options.queueSize) serverOptions.queueSize = options.queueSize;
  const server = await startServer(serverOptions, systemIO());
  // `max` as serve's demo does it: a batch of events back to back, then yield to the event loop.
  const random = createRandom(3);
  const pool = Array.from({ length: 4096 }, (_, i) => makeEvent(random, i));
  let next = 0;
  let pumping = false;
  const pumpBatch = () => {
    if (!pumping) return;
    for (let i = 0; i < PUMP_BATCH; i++) {
      server.hub.publish(pool[next]);
      next = next + 1 === pool.length ? 0 : next + 1;
    }
    setImmediate(pumpBatch);
  };
  return {
    setPump(on) {
      const wasPumping = pumping;
      pumping = on;
      if (on && !wasPumping) setImmediate(pumpBatch);
    },
    url: server.url,
    options: serverOptions,
    publish: (event) => server.hub.publish(event),
    stats: () => ({ ...server.health(), connections: server.connections().length }),
    close: () => server.close(),
  };
}
