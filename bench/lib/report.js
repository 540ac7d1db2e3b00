// The result table (stdout) and the JSON document (bench/results/latest.json).
import { human, round } from './stats.js';

/**
 * One line of the table.
 * @typedef {{figure: string, value: number, unit: string, baseline?: number, baselineLabel?: string,
 *            ratio?: number, target?: string, pass?: boolean | null, note?: string}} Row
 */

/** Pass/fail of a row against a target: `>=`/`<=`/`<` on the ratio or on the value. */
export function judge(row, { on = 'value', op, limit }) {
  const subject = on === 'ratio' ? row.ratio : row.value;
  if (typeof subject !== 'number' || !Number.isFinite(subject)) return null;
  if (op === '>=') return subject >= limit;
  if (op === '<=') return subject <= limit;
  if (op === '<') return subject < limit;
  if (op === '==') return subject === limit;
  return null;
}

function cell(value) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return human(value);
  return String(value);
}

export function formatTable(scenarios) {
  const header = ['#', 'figure', 'value', 'baseline', 'ratio', 'target', 'result', 'note'];
  const lines = [];
  for (const scenario of scenarios) {
    if (scenario.error) lines.push([String(scenario.id), `${scenario.name}: ${scenario.error}`, '', '', '', '', 'ERROR', '']);
    for (const row of scenario.rows) {
      lines.push([
        String(scenario.id),
        row.figure,
        `${cell(row.value)}${row.unit ? ` ${row.unit}` : ''}`,
        row.baseline === undefined ? '' : `${cell(row.baseline)}${row.baselineLabel ? ` (${row.baselineLabel})` : ''}`,
        row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}x`,
        row.target ?? '',
        row.pass === true ? 'pass' : row.pass === false ? 'FAIL' : row.pass === 'skip' ? 'skip' : 'info',
        row.note ?? '',
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const render = (line) => line.map((text, i) => text.padEnd(widths[i])).join('  ').trimEnd();
  const out = [render(header), render(widths.map((w) => '-'.repeat(w)))];
  for (const line of lines) out.push(render(line));
  return out.join('\n');
}

/** The same table in Markdown, for bench/README.md. */
export function formatMarkdown(scenarios) {
  const out = ['| # | figure | value | baseline | ratio | target | result | note |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const scenario of scenarios) {
    if (scenario.error) out.push(`| ${scenario.id} | ${scenario.name}: ${scenario.error} | | | | | ERROR | |`);
    for (const row of scenario.rows) {
      const result = row.pass === true ? 'pass' : row.pass === false ? '**FAIL**' : row.pass === 'skip' ? 'skip' : 'info';
      out.push(
        `| ${scenario.id} | ${row.figure} | ${cell(row.value)}${row.unit ? ` ${row.unit}` : ''} | ${row.baseline === undefined ? '' : `${cell(row.baseline)}${row.baselineLabel ? ` (${row.baselineLabel})` : ''}`} | ${row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}x`} | ${row.target ?? ''} | ${result} | ${row.note ?? ''} |`,
      );
    }
  }
  return out.join('\n');
}

/** Rounds every number in a JSON-able value (results stay readable). */
export function roundDeep(value) {
  if (typeof value === 'number') return round(value, 4);
  if (Array.isArray(value)) return value.map(roundDeep);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v)]));
  return value;
}
