import { describe, expect, it } from 'vitest';
import { escapeJsonForTerminal, stripControl } from '../../src/protocol/sanitize.js';

describe('stripControl', () => {
  it('returns the same string when there is nothing to strip', () => {
    const text = 'plain text, ünïcödé ✓ 日本語 🚀';
    expect(stripControl(text)).toBe(text);
  });
  it('keeps one value on one line: Unicode line and paragraph separators show as \\n, as a newline does', () => {
    expect(stripControl('a\u2028b\u2029c\nd')).toBe('a\\nb\\nc\\nd');
  });
  it('removes CSI sequences (colors, cursor moves, clear screen)', () => {
    expect(stripControl('\x1b[31mred\x1b[0m')).toBe('red');
    expect(stripControl('a\x1b[2J\x1b[Hb')).toBe('ab');
    expect(stripControl('x\x1b[?25ly')).toBe('xy');
    expect(stripControl('x\x1b[38;2;255;0;0my')).toBe('xy');
  });
  it('removes OSC strings terminated by BEL or ST (titles, clipboard, hyperlinks)', () => {
    expect(stripControl('a\x1b]0;pwned\x07b')).toBe('ab');
    expect(stripControl('a\x1b]52;c;ZXZpbA==\x1b\\b')).toBe('ab');
    expect(stripControl('\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\')).toBe('link');
  });
  it('removes DCS/APC/PM strings and two-byte escapes', () => {
    expect(stripControl('a\x1bPq#0;2;0;0;0\x1b\\b')).toBe('ab');
    expect(stripControl('a\x1b_payload\x1b\\b')).toBe('ab');
    expect(stripControl('a\x1bcb')).toBe('ab');
    expect(stripControl('a\x1b(Bb')).toBe('ab');
  });
  it('removes 8-bit C1 controls, including 8-bit CSI and OSC', () => {
    expect(stripControl('a\x9b31mb')).toBe('ab');
    expect(stripControl('a\x9d0;t\x9cb')).toBe('ab');
    expect(stripControl('a\x85b')).toBe('ab');
  });
  it('removes other C0 controls, DEL and bidi overrides', () => {
    expect(stripControl('a\x00b\x07c\x08d\x7fe')).toBe('abcde');
    expect(stripControl('admin\u202egnp.exe')).toBe('admingnp.exe');
    expect(stripControl('a\u2066b\u2069c')).toBe('abc');
  });
  it('keeps a value on one line: newline and carriage return become visible escapes, tab a space', () => {
    expect(stripControl('line1\nline2\r\nend\there')).toBe('line1\\nline2\\r\\nend here');
  });
  it('swallows an unterminated escape string to the end, and a trailing lone ESC', () => {
    expect(stripControl('ok\x1b]0;never ends')).toBe('ok');
    expect(stripControl('ok\x1b')).toBe('ok');
    expect(stripControl('ok\x1b[12')).toBe('ok');
  });
  it('never lets an ESC or C1 byte through, whatever the input', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = ['\x1b', '[', ']', '\\', '\x07', '\x9b', '\x9c', 'P', ';', '0', 'm', 'a', '\n', '\t', '\u202e', 'é'];
    for (let n = 0; n < 2000; n++) {
      let text = '';
      const length = Math.floor(random() * 20);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      expect(stripControl(text)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    }
  });
});

describe('stripControl: invisible and look-alike characters are marked, not passed', () => {
  it('shows zero-width characters, joiners, BOM, bidi marks, Hangul fillers and tag characters as escapes', () => {
    expect(stripControl('ma\u200bth')).toBe('ma\\u200bth');
    expect(stripControl('ma\u200bth')).not.toBe(stripControl('math'));
    for (const code of [0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2060, 0xfeff, 0x061c, 0x3164]) {
      expect(stripControl(`a${String.fromCharCode(code)}b`)).toBe(`a\\u${code.toString(16).padStart(4, '0')}b`);
    }
    // Tag characters (U+E0000-E007F) hide text in plain sight ("ASCII smuggling").
    expect(stripControl('ok\u{E0041}\u{E0042}')).toBe('ok\\u{e0041}\\u{e0042}');
    // Other characters of that plane, and emoji, stay as they are.
    expect(stripControl('\u{E0100}\u{1F680} café')).toBe('\u{E0100}\u{1F680} café');
    expect(stripControl('plain')).toBe('plain');
  });

  it('marks the default-ignorable and format characters beyond the zero-width ones (issue 22)', () => {
    const cases: Array<[string, string]> = [
      ['\u00ad', '\\u00ad'], // soft hyphen
      ['\u034f', '\\u034f'], // combining grapheme joiner
      ['\u17b4', '\\u17b4'], // Khmer inherent vowel
      ['\u{1D173}', '\\u{1d173}'], // musical symbol begin beam
      ['\u{1D17A}', '\\u{1d17a}'],
    ];
    for (let code = 0x206a; code <= 0x206f; code++) cases.push([String.fromCharCode(code), `\\u${code.toString(16)}`]);
    for (let code = 0xfff9; code <= 0xfffb; code++) cases.push([String.fromCharCode(code), `\\u${code.toString(16)}`]);
    for (let code = 0x1d173; code <= 0x1d17a; code++) cases.push([String.fromCodePoint(code), `\\u{${code.toString(16)}}`]);
    for (const [raw, shown] of cases) expect(stripControl(`pay${raw}pal`)).toBe(`pay${shown}pal`);
  });
  it('lets no Default_Ignorable_Code_Point or format (Cf) character through, over all of Unicode, but variation selectors', () => {
    const invisible = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/u;
    const selector = /\p{Variation_Selector}/u;
    let checked = 0;
    for (let code = 0; code <= 0x10ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const char = String.fromCodePoint(code);
      if (!invisible.test(char)) continue;
      const out = stripControl(`a${char}b`);
      if (selector.test(char)) expect(out).toBe(`a${char}b`);
      else expect(out.includes(char), `U+${code.toString(16)}`).toBe(false);
      checked++;
    }
    expect(checked).toBeGreaterThan(4000);
  });
  it('keeps variation selectors with the character they modify, and the text around an astral invisible', () => {
    expect(stripControl('\u2764\ufe0f ok')).toBe('\u2764\ufe0f ok');
    expect(stripControl('\u{1F680}\u{E0001}\u{1F680}')).toBe('\u{1F680}\\u{e0001}\u{1F680}');
  });
});

describe('escapeJsonForTerminal (-o ndjson on a terminal)', () => {
  const hostile = {
    event_type: 'ToolInvocationCompleted',
    tool_name: 'ma\u200bth',
    note: 'csi \u009b31m red, del \u007f, rlo \u202egnp.exe, sep \u2028 \u2029, tag \u{e0041}, nel \u0085',
    nested: { esc: '\u001b]52;c;aGk=\u0007', keep: 'ünïcödé ✓ 日本語 🚀 ❤\ufe0f' },
  };
  const line = escapeJsonForTerminal(JSON.stringify(hostile));

  it('parses to the same value', () => {
    expect(JSON.parse(line)).toEqual(hostile);
  });

  it('leaves nothing a terminal would act on or hide: no DEL, C1, separator or invisible character raw', () => {
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b\u202e]|\u{e0041}/u);
    expect(line).toContain('ma\\u200bth');
    expect(line).toContain('\\u009b31m');
    expect(line).toContain('\\udb40\\udc41');
  });

  it('keeps printable text and variation selectors as they are, and returns plain JSON itself', () => {
    expect(line).toContain('ünïcödé ✓ 日本語 🚀 ❤\ufe0f');
    const plain = '{"event_type":"A","x":"b\\u001b"}';
    expect(escapeJsonForTerminal(plain)).toBe(plain);
  });
});
