import { describe, expect, test } from 'vitest';
import type { SourceRef, FeedNotice } from '../../src/feed/messages.js';
import { createColorScheme } from '../../src/io/color.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import { formatEventLine, type LineContext } from '../../src/render/line.js';
import { stripControl } from '../../src/protocol/sanitize.js';
import { emptyTableState, reduceTable, reduceTableNotice, type TableState } from '../../src/render/table/reduce-table.js';
import { renderTable } from '../../src/render/table/render-table.js';
import { compileTemplate } from '../../src/render/template.js';
import { createRng, ESCAPE_PAYLOADS, hostileSeed, hostileString, seedNote, terminalHazard, type Rng } from '../helpers/hostile-fuzz.js';

/**
 * Promise: an event payload's escape sequences and control characters never
 * reach a terminal raw, in any renderer (pretty line, --fields, --format,
 * the live table, notices folded into the table). Seeded fuzz; the seed is in
 * every failure message.
 */

const SEED = hostileSeed();
const NOTE = seedNote(SEED);
const plain = createColorScheme(0);
const colored = createColorScheme(3);
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/g;

const TYPES = ['ToolInvocationFailed', 'McpServerStateChanged', 'HealthCheckFailed', 'CircuitBreakerStateChanged', 'ToolInvocationCompleted', 'McpServerStarted'];

/** An event whose every string (keys included) may carry hostile text. */
function hostileEvent(rng: Rng, n: number): HangarEvent {
  const h = () => hostileString(rng);
  const event: HangarEvent = {
    event_type: rng.chance(0.3) ? h() : rng.pick(TYPES),
    event_id: rng.chance(0.2) ? h() : `id-${n}`,
    occurred_at: rng.chance(0.2) ? (h() as unknown as number) : NOW / 1000 - rng.int(0, 5000),
    mcp_server_id: rng.chance(0.1) ? undefined : h(),
    tool_name: h(),
    old_state: h(),
    new_state: rng.pick(['ready', 'degraded', 'dead', h()]),
    error_type: h(),
    error_message: h(),
    duration_ms: rng.chance(0.5) ? rng.int(0, 90_000) : h(),
    reason: h(),
    nested: { inner: h(), list: [h(), h()], [h()]: h() },
    [h()]: h(),
  };
  if (rng.chance(0.2)) event.timestamp = h();
  if (rng.chance(0.2)) event.mcp_server_name = h();
  return event;
}

function check(text: string, ownColors: boolean, what: string): void {
  const hazard = terminalHazard(text, ownColors);
  if (hazard !== undefined) expect.fail(`${what}: ${hazard} ${NOTE}`);
}

/** Color on must add only SGR sequences: stripping them gives the plain rendering. */
function checkSamePlain(coloredText: string, plainText: string, what: string): void {
  if (coloredText.replace(SGR, '') !== plainText) {
    expect.fail(`${what}: the colored rendering differs from the plain one beyond color codes ${NOTE}\n${JSON.stringify(coloredText)}\n${JSON.stringify(plainText)}`);
  }
}

describe('escape sequences in payloads never reach the terminal raw', () => {
  test(`every known attack payload is neutralised by the shared sanitizer ${NOTE}`, () => {
    for (const payload of ESCAPE_PAYLOADS) {
      const out = stripControl(`a${payload}b`);
      expect(terminalHazard(out, false), JSON.stringify(payload)).toBeUndefined();
      // The text before the attack survives (an unterminated sequence may swallow what follows).
      expect(out.startsWith('a')).toBe(true);
    }
  });

  test(`pretty lines in every time mode, --fields and a source label: 3000 hostile events ${NOTE}`, () => {
    const rng = createRng(SEED);
    const modes = ['local', 'utc', 'iso', 'relative', 'none'] as const;
    for (let n = 0; n < 3000; n++) {
      const event = hostileEvent(rng, n);
      const base: Omit<LineContext, 'colors'> = {
        time: rng.pick(modes),
        nowMs: NOW,
        ...(rng.chance(0.3) ? { fields: ['tool_name', 'nested.inner', 'nested.list', 'missing.path', 'error_message'] } : {}),
        ...(rng.chance(0.3) ? { source: { label: hostileString(rng), index: rng.int(0, 9) } } : {}),
      };
      const p = formatEventLine(event, { ...base, colors: plain });
      const c = formatEventLine(event, { ...base, colors: colored });
      check(p, false, `pretty line #${n}`);
      check(c, true, `colored pretty line #${n}`);
      checkSamePlain(c, p, `pretty line #${n}`);
    }
  });

  test('an event nested too deep to serialise renders instead of throwing (pretty, --fields, --format)', () => {
    const deep = JSON.parse(`{"event_type":"X","mcp_server_id":"math","deep":${'['.repeat(20_000)}${']'.repeat(20_000)}}`) as HangarEvent;
    const template = compileTemplate('{event_type} {deep}');
    for (const ctx of [{}, { fields: ['deep'] }, { template }]) {
      const line = formatEventLine(deep, { colors: plain, time: 'none', nowMs: NOW, ...ctx });
      expect(line).toContain('X');
      expect(line).toContain('[…]');
    }
  });

  test(`--format templates with placeholders on hostile fields: 2000 events ${NOTE}`, () => {
    const rng = createRng(SEED ^ 0x5eed);
    const template = compileTemplate('{time} {event_type} [{server}] {severity} {tool_name} {error_message} {nested.inner} {nested.list} {nested} {reason}\\t{missing}');
    for (let n = 0; n < 2000; n++) {
      const event = hostileEvent(rng, n);
      const p = formatEventLine(event, { colors: plain, time: 'iso', nowMs: NOW, template });
      const c = formatEventLine(event, { colors: colored, time: 'iso', nowMs: NOW, template });
      // The template's own \t is the user's choice; everything else must be clean.
      check(p.replaceAll('\t', ' '), false, `template line #${n}`);
      check(c.replaceAll('\t', ' '), true, `colored template line #${n}`);
    }
  });

  test(`the live table with hostile server ids, states, tools, errors and notices ${NOTE}`, () => {
    const rng = createRng(SEED ^ 0x7ab1e);
    // The URL is the user's own (normalised by tail); the label is treated as untrusted anyway.
    const source: SourceRef = { url: 'ws://127.0.0.1:1/api/ws/events', label: `x${hostileString(rng)}`, index: 0 };
    let state: TableState = emptyTableState();
    for (let n = 0; n < 1500; n++) {
      const event = hostileEvent(rng, n);
      // A handful of server ids so rows accumulate fields, plus a hostile one now and then.
      if (rng.chance(0.7)) event.mcp_server_id = rng.pick(['math', 'fetch', hostileString(rng, 2)]);
      state = reduceTable(state, event, NOW);
      if (n % 50 === 0) {
        const h = hostileString(rng);
        const notices: FeedNotice[] = [
          { kind: 'dropped', source, dropped: 3, totalDropped: n, message: h, atMs: NOW },
          { kind: 'gap', source, downForMs: 1200, reason: hostileString(rng), atMs: NOW },
          { kind: 'reconnecting', source, attempt: 2, delayMs: 500, reason: hostileString(rng) },
          { kind: 'bad-frame', source, reason: hostileString(rng) },
          { kind: 'server-error', source, code: hostileString(rng), message: hostileString(rng) },
          { kind: 'auth-failed', source, status: 403, message: hostileString(rng) },
        ];
        state = reduceTableNotice(state, rng.pick(notices), NOW);
      }
      if (n % 100 === 99) {
        for (const [colors, own] of [[plain, false], [colored, true]] as const) {
          for (const width of [200, 60, Number.POSITIVE_INFINITY]) {
            const lines = renderTable(state, {
              colors,
              width,
              height: Number.isFinite(width) ? 30 : Number.POSITIVE_INFINITY,
              nowMs: NOW,
              sort: 'problems',
              header: { sources: [source], filterDescription: hostileString(rng), keys: true },
            });
            lines.forEach((line, i) => check(line, own, `table line ${i} after ${n + 1} events (width ${width})`));
          }
        }
      }
    }
  });
});
