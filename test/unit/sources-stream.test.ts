import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../src/errors.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import type { EventSink } from '../../src/server/event-sink.js';
import type { SourceLog } from '../../src/sources/event-source.js';
import { sanitizeForLog } from '../../src/protocol/sanitize.js';
import { splitNdjsonLines, type NdjsonLine } from '../../src/sources/ndjson-lines.js';
import { createStreamSource } from '../../src/sources/stream-source.js';

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Buffer | string> {
  for (const part of parts) yield part;
}

async function collectLines(input: AsyncIterable<Buffer | string>, maxLineBytes?: number): Promise<NdjsonLine[]> {
  const out: NdjsonLine[] = [];
  for await (const line of splitNdjsonLines(input, maxLineBytes === undefined ? {} : { maxLineBytes })) out.push(line);
  return out;
}

function sinkAndLog(): { sink: EventSink; log: SourceLog; events: HangarEvent[]; warnings: string[]; infos: string[] } {
  const events: HangarEvent[] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    events,
    warnings,
    infos,
    sink: { publish: (e) => events.push(e) },
    log: { info: (m) => infos.push(m), warn: (m) => warnings.push(m) },
  };
}

describe('splitNdjsonLines', () => {
  it('numbers every line from 1, blank ones included, and keeps a last line without a newline', async () => {
    const lines = await collectLines(chunks('a\n\nb\nc'));
    expect(lines).toEqual([
      { lineNumber: 1, text: 'a' },
      { lineNumber: 2, text: '' },
      { lineNumber: 3, text: 'b' },
      { lineNumber: 4, text: 'c' },
    ]);
  });

  it('joins lines split across chunks, including inside a multi-byte character', async () => {
    const bytes = Buffer.from('{"x":"héllo ✓"}\n{"y":1}\n', 'utf8');
    const split = [bytes.subarray(0, 9), bytes.subarray(9, 15), bytes.subarray(15)];
    const lines = await collectLines(chunks(...split));
    expect(lines.map((l) => (l.tooLong ? '' : l.text))).toEqual(['{"x":"héllo ✓"}', '{"y":1}']);
  });

  it('accepts CRLF line ends, also when the CR and LF arrive in different chunks', async () => {
    const lines = await collectLines(chunks('one\r\ntwo\r', '\nthree\r\n'));
    expect(lines.map((l) => (l.tooLong ? '' : l.text))).toEqual(['one', 'two', 'three']);
  });

  it('reports a line over the limit with its number and size, without keeping it, and carries on', async () => {
    const lines = await collectLines(chunks('ok\n', 'x'.repeat(60), 'y'.repeat(60), 'z'.repeat(10) + '\nnext\n'), 100);
    expect(lines).toEqual([
      { lineNumber: 1, text: 'ok' },
      { lineNumber: 2, tooLong: true, bytes: 130 },
      { lineNumber: 3, text: 'next' },
    ]);
    const exact = await collectLines(chunks('a'.repeat(100) + '\n' + 'b'.repeat(101)), 100);
    expect(exact.map((l) => l.tooLong ?? false)).toEqual([false, true]);
  });
});

describe('sanitizeForLog', () => {
  it('escapes control characters and cuts long text', () => {
    // The one sanitizer: escape sequences go, a newline shows as \n, bidi overrides go too.
    expect(sanitizeForLog('a\u001b[31mred\nb')).toBe('ared\\nb');
    expect(sanitizeForLog('evil\u202egnp.exe')).toBe('evilgnp.exe');
    expect(sanitizeForLog('x'.repeat(300), 20)).toBe(`${'x'.repeat(17)}...`);
  });
});

describe('createStreamSource', () => {
  it('publishes good lines in order, reports bad ones with exact line numbers, and ends with the input', async () => {
    const input = [
      '{"event_type": "McpServerStarted", "mcp_server_id": "math", "mode": "subprocess"}',
      '',
      'not json at all',
      '{"event_type": "HealthCheckPassed", "mcp_server_id": "math", "duration_ms": 3}\r',
      '[1, 2, 3]',
      '{"no_type": true}',
      '   ',
      '{"event_type": "", "x": 1}',
      '{"event_type": "Custom\\u001b[2JThing", "event_id": "keep-me", "occurred_at": 1795727378.5}',
    ].join('\n');
    const source = createStreamSource('stdin', chunks(input));
    const { sink, log, events, warnings } = sinkAndLog();
    await source.run(sink, log);
    expect(events).toEqual([
      { event_type: 'McpServerStarted', mcp_server_id: 'math', mode: 'subprocess' },
      { event_type: 'HealthCheckPassed', mcp_server_id: 'math', duration_ms: 3 },
      { event_type: 'Custom\u001b[2JThing', event_id: 'keep-me', occurred_at: 1795727378.5 },
    ]);
    expect(warnings.map((w) => w.replace(/\(.*\)/, '(...)'))).toEqual([
      'stdin line 3: not valid JSON (...)',
      'stdin line 5: an event must be a JSON object',
      'stdin line 6: an event needs a non-empty string "event_type"',
      'stdin line 8: an event needs a non-empty string "event_type"',
    ]);
    expect(source.published).toBe(3);
    expect(source.badLines).toBe(4);
    expect(source.name).toBe('stdin');
  });

  it('skips a line over 1 MiB streamed in pieces, reports it, and keeps the lines around it', async () => {
    const piece = Buffer.alloc(64 * 1024, 0x61);
    async function* huge(): AsyncGenerator<Buffer | string> {
      yield '{"event_type": "Before"}\n{"event_type": "Huge", "pad": "';
      for (let i = 0; i < 40; i++) yield piece; // 2.5 MiB on one line
      yield '"}\n{"event_type": "After"}\n';
    }
    const source = createStreamSource('stdin', huge());
    const { sink, log, events, warnings } = sinkAndLog();
    await source.run(sink, log);
    expect(events.map((e) => e.event_type)).toEqual(['Before', 'After']);
    expect(warnings).toEqual(['stdin line 2: line is 2.5MiB, over the 1MiB limit; skipped']);
  });

  it('publishes lines as they arrive on a live pipe, and stop() ends run() while a read is pending', async () => {
    const pipe = new PassThrough();
    const source = createStreamSource('stdin', pipe);
    const events: HangarEvent[] = [];
    let arrived: (() => void) | undefined;
    const sink: EventSink = {
      publish(e) {
        events.push(e);
        arrived?.();
      },
    };
    const done = source.run(sink, { info: () => {}, warn: () => {} });
    const first = new Promise<void>((resolve) => (arrived = resolve));
    pipe.write('{"event_type": "A"}\n{"event_type": "B"');
    await first;
    expect(events.map((e) => e.event_type)).toEqual(['A']);
    source.stop();
    await done;
    pipe.end('}\n');
  });

  it('ends quietly at the end of input, and rejects with a RuntimeError when the input fails', async () => {
    const empty = createStreamSource('stdin', chunks());
    const { sink, log, events } = sinkAndLog();
    await empty.run(sink, log);
    expect(events).toEqual([]);

    async function* failing(): AsyncGenerator<string> {
      yield '{"event_type": "A"}\n';
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    const broken = createStreamSource('stdin', failing());
    const error = await broken.run(sink, log).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as Error).message).toBe('cannot read stdin');
    expect(((error as Error).cause as Error).message).toContain('EIO');
  });
});
