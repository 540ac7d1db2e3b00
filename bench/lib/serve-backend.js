// Starts hangar-events' own server in this process through the exported
// startServer() of the build, and exposes the publisher interface of
// workers/server.js. Adapted to src/server once it lands.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function startServeBackend() {
  const entry = join(root, 'dist', 'server', 'index.js');
  if (!existsSync(entry)) throw new Error(`startServer not found (${entry}): build first, or serve has not landed`);
  const { startServer } = await import(pathToFileURL(entry).href);
  if (typeof startServer !== 'function') throw new Error('dist/server/index.js does not export startServer');
  throw new Error('serve backend: not wired yet');
}
