// Part of `npm run build`, after tsc: writes the help pages the launcher's
// fast path prints (dist/cli/help-pages.json), made by the real program
// (dist/cli/help-pages.js). Fails the build when a page cannot be made.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { helpPagesFile } from '../dist/cli/fast-path.js';
import { renderHelpPages } from '../dist/cli/help-pages.js';
import { systemIO } from '../dist/io/system-io.js';

writeFileSync(helpPagesFile(fileURLToPath(new URL('..', import.meta.url))), `${JSON.stringify(await renderHelpPages(systemIO()))}\n`);
