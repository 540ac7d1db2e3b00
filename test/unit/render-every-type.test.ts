import { describe, expect, it } from 'vitest';
import { createColorScheme } from '../../src/io/color.js';
import { EMITTED_TYPES, EVENT_CATALOG } from '../../src/protocol/catalog.js';
import { serverIdentityOf } from '../../src/protocol/server-identity.js';
import { formatEventLine, type LineContext } from '../../src/render/line.js';
import { severityOf } from '../../src/render/event-severity.js';
import { SECURITY_TAG } from '../../src/render/severity.js';
import { emptyTableState, reduceTable } from '../../src/render/table/reduce-table.js';
import { renderTable } from '../../src/render/table/render-table.js';
import { sampleEventsOf } from '../helpers/catalog-samples.js';

const NOW = 1795727380_000;
const BROKEN = /undefined|NaN|\[object Object\]|Infinity/;

function lineContext(level: 0 | 1): LineContext {
  return { colors: createColorScheme(level), time: 'utc', nowMs: NOW };
}

describe('every emitted type renders', () => {
  it('as a pretty line, with its server and no undefined or NaN, in every shape', () => {
    expect(EMITTED_TYPES).toHaveLength(85);
    for (const info of EMITTED_TYPES) {
      for (const event of sampleEventsOf(info)) {
        for (const level of [0, 1] as const) {
          const line = formatEventLine(event, lineContext(level));
          expect(line, `${info.name}: ${line}`).not.toMatch(BROKEN);
          expect(line).toContain(info.name);
          expect(line).not.toContain('\n');
        }
        const plain = formatEventLine(event, lineContext(0));
        const server = serverIdentityOf(event);
        if (server !== undefined) expect(plain, info.name).toContain(` ${info.name} ${server}`);
        // Security events lead with a tag that is visible without color.
        if (severityOf(event) === 'security') expect(plain.startsWith(`21:09:38.450Z ${SECURITY_TAG} ${info.name} `), plain).toBe(true);
        else expect(plain).not.toContain(SECURITY_TAG);
      }
    }
  });
  it('in the table, with no undefined or NaN, whatever mix of types arrived', () => {
    let state = emptyTableState();
    let at = NOW - 60_000;
    for (const info of EVENT_CATALOG) {
      for (const event of sampleEventsOf(info, at / 1000)) {
        state = reduceTable(state, event, at);
        at += 100;
        for (const level of [0, 1] as const) {
          const lines = renderTable(state, {
            colors: createColorScheme(level),
            width: 160,
            height: 60,
            nowMs: at,
            sort: 'problems',
            header: { sources: [{ url: 'ws://127.0.0.1:1/api/ws/events', label: 'a', index: 0 }], filterDescription: '', keys: true },
          });
          const text = lines.join('\n');
          expect(text, `${info.name}:\n${text}`).not.toMatch(BROKEN);
        }
      }
    }
  });
});
