import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The layout rules of README.md "Architecture", checked on src/ (relative imports, static and dynamic). */

const root = resolve(import.meta.dirname, '../../src');
const files: string[] = [];
(function walk(dir: string) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.ts')) files.push(path);
  }
})(root);
const imports = new Map(
  files.map((file) => {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.\.?\/[^']+)\.js'/g)].map((m) => resolve(dirname(file), `${m[1]}.ts`));
    return [file, targets] as const;
  }),
);
const top = (file: string) => relative(root, file).split(sep)[0]!;
const name = (file: string) => relative(root, file);

describe('src/ layout', () => {
  it('nothing below tail/ and commands/ imports render/; store/ imports nothing from client/, render/ or tail/', () => {
    const wrong: string[] = [];
    for (const [file, targets] of imports) {
      for (const target of targets) {
        if (['client', 'server', 'store', 'sources', 'filter', 'feed', 'protocol'].includes(top(file)) && top(target) === 'render') wrong.push(`${name(file)} -> ${name(target)}`);
        if (top(file) === 'store' && ['client', 'render', 'tail'].includes(top(target))) wrong.push(`${name(file)} -> ${name(target)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no import circles', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      path.push(file);
      for (const target of imports.get(file) ?? []) {
        if (!imports.has(target)) continue;
        if (state.get(target) === 'open') circles.push(path.slice(path.indexOf(target)).map(name).join(' -> '));
        else if (state.get(target) === undefined) visit(target);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(circles).toEqual([]);
  });

  it('reads time only through the injected clock: no bare timers, Date.now, performance.now or new Date() outside src/io/', () => {
    // Each exception says why the real clock is right there.
    const realTime = new Map<string, string>([
      ['server/connection.ts', 'the close-handshake deadline on a real socket (as ws times its own): a stepped test clock must never leave a socket open'],
      ['server/server.ts', "the shutdown's wait for real sockets to finish closing"],
    ]);
    const ambient = /(?<![.\w])(?:setTimeout|setInterval)\s*\(|\bDate\.now\s*\(|\bperformance\.now\s*\(|new Date\(\s*\)/g;
    // Node's timer modules may lend setImmediate (a yield to the event loop, not a wait on time), nothing else.
    const timerImport = /import\s*\{([^}]*)\}\s*from\s*'(?:node:)?timers(?:\/promises)?'/g;
    const wrong: string[] = [];
    for (const file of files) {
      if (top(file) === 'io') continue;
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
      const uses = [...code.matchAll(ambient)].map((m) => m[0].replace(/\s+/g, ''));
      for (const m of code.matchAll(timerImport)) {
        const names = m[1]!.split(',').map((n) => n.trim().split(/\s+as\s+/)[0]!).filter((n) => n.length > 0);
        uses.push(...names.filter((n) => n !== 'setImmediate').map((n) => `import ${n}`));
      }
      if (uses.length > 0 && !realTime.has(name(file))) wrong.push(`${name(file)}: ${[...new Set(uses)].join(', ')}`);
    }
    expect(wrong).toEqual([]);
    // An exception that no longer reads the real clock is dropped from the list.
    const stale = [...realTime.keys()].filter((file) => !new RegExp(ambient.source).test(readFileSync(join(root, file), 'utf8')));
    expect(stale).toEqual([]);
  });

  it('keeps every file in src/ at 600 lines or fewer', () => {
    const long = files.map((file) => [name(file), readFileSync(file, 'utf8').split('\n').length - 1] as const).filter(([, lines]) => lines > 600);
    expect(long).toEqual([]);
  });

  it('re-exports nothing: a name is imported from the module that declares it (server.ts, the package entry, excepted)', () => {
    const allowed = new Set(['server/server.ts']);
    const reexports = files
      .filter((file) => !allowed.has(name(file).split(sep).join('/')))
      .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/^export (?:type )?(?:\*|\{[^}]*\})(?: from '[^']+')?;$/gm)].map((m) => `${name(file)}: ${m[0]}`));
    expect(reexports).toEqual([]);
  });
});
