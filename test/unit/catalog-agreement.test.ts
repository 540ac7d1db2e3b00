import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CATALOG_FACTS } from '../../src/protocol/catalog-data.js';
import { isCI } from '../helpers/require-program.js';
import { DEPRECATED_ALIASES, EMITTED_TYPES, EVENT_CATALOG, lookupEventType } from '../../src/protocol/catalog.js';

const exec = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** shared/hangar-event-catalog.json beside the repository (../shared), else beside one of its parents. */
function findSharedFacts(): { path: string } | { missing: string } {
  const looked: string[] = [];
  let dir = resolve(repoRoot, '..');
  for (;;) {
    const path = join(dir, 'shared', 'hangar-event-catalog.json');
    looked.push(path);
    if (existsSync(path)) return { path };
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return {
    missing:
      `needs the shared facts file shared/hangar-event-catalog.json beside the repository (looked at ${looked.join(', ')}); ` +
      'put a copy of shared/ next to the checkout to check the catalog against it',
  };
}

// A clone of the project alone has no shared/ beside it: the agreement is then skipped with the
// reason (the project's own copy still serves every other test). CI always has it, so there a
// missing file is a failure, never a silent skip.
const shared = findSharedFacts();
if ('missing' in shared) {
  if (isCI()) {
    describe("the project's catalog and the shared facts file", () => {
      it('finds the shared facts file', () => {
        throw new Error(`${shared.missing} (CI=true: this check is never skipped in CI)`);
      });
    });
  } else {
    console.warn(`skipping tests (${shared.missing})`);
    // The summary at the end of the run (test/helpers/skip-summary.ts).
    if (process.env.HANGAR_TEST_SKIP_DIR) appendFileSync(join(process.env.HANGAR_TEST_SKIP_DIR, `${process.pid}.txt`), `${shared.missing}\n`);
    describe.skip(`the project's catalog and the shared facts file [skipped: ${shared.missing}]`, () => {});
  }
} else describeAgreement(shared.path);

function describeAgreement(factsPath: string): void {
describe("the project's catalog and the shared facts file", () => {
  const facts = JSON.parse(readFileSync(factsPath, 'utf8')) as typeof CATALOG_FACTS;

  it('carries exactly the facts of the shared file', () => {
    expect(CATALOG_FACTS).toEqual(facts);
  });

  it('is byte for byte what the generator writes from it (npm run gen:catalog)', async () => {
    const result = await exec(process.execPath, [join(repoRoot, 'scripts', 'gen-catalog.mjs'), '--check', factsPath]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(result).toEqual({ code: 0, stderr: '' });
  });

  it('knows every type, its category, fields and whether it is emitted, and every deprecated alias', () => {
    expect(facts.events).toHaveLength(facts.count.types);
    for (const event of facts.events) {
      const info = lookupEventType(event.event_type);
      expect(info, event.event_type).toBeDefined();
      expect({ category: info!.category, fields: info!.fields, emitted: info!.emitted, because: info!.notEmittedBecause }).toEqual({
        category: event.category,
        fields: event.fields,
        emitted: event.emitted,
        because: event.not_emitted_because,
      });
    }
    expect(EMITTED_TYPES).toHaveLength(facts.count.emitted);
    const aliases = facts.deprecated_aliases_never_on_the_wire_of_a_current_gateway;
    expect(Object.fromEntries(DEPRECATED_ALIASES)).toEqual(aliases);
    expect(DEPRECATED_ALIASES.size).toBe(facts.count.deprecated_aliases);
    expect(EVENT_CATALOG).toHaveLength(facts.count.types + facts.count.deprecated_aliases);
    for (const alias of Object.keys(aliases)) expect(lookupEventType(alias)!.emitted, alias).toBe(false);
  });
});
}
