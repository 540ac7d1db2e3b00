// Part of `npm run build`, after tsc: writes dist/cli/fast-path.cjs, a CommonJS
// copy of the launcher's fast path made from its one source, src/cli/fast-path.ts.
// The launcher (bin/hangar-events.js) is CommonJS and requires it, so that
// `--version` and help pages never start Node's ES module loader (on Node 20
// that costs a start ~10-15 ms; bench/README.md, round seven). The source
// imports only Node's builtins, which the copy requires as they are; anything
// else would not resolve from it, so the build fails on it here.
import { readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';

const SOURCE = new URL('../src/cli/fast-path.ts', import.meta.url);
const TARGET = new URL('../dist/cli/fast-path.cjs', import.meta.url);

const source = readFileSync(SOURCE, 'utf8');
const { outputText, diagnostics } = ts.transpileModule(source, {
  fileName: 'fast-path.ts',
  reportDiagnostics: true,
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false, isolatedModules: true },
});
if (diagnostics !== undefined && diagnostics.length > 0) {
  throw new Error(`src/cli/fast-path.ts: ${ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (name) => name, getCurrentDirectory: () => '', getNewLine: () => '\n' })}`);
}
const required = [...outputText.matchAll(/\brequire\((["'])(.*?)\1\)/g)].map((match) => match[2]);
const foreign = required.filter((name) => !name.startsWith('node:'));
if (foreign.length > 0) {
  throw new Error(`src/cli/fast-path.ts imports ${foreign.join(', ')}: its CommonJS copy for the launcher can require only Node's builtins (node:...)`);
}
writeFileSync(TARGET, `// Made by scripts/build-fast-path-cjs.mjs from src/cli/fast-path.ts (npm run build): edit that.\n${outputText}`);
