import { createReadStream } from 'node:fs';
import { open, stat as fsStat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { AuthError, ConnectionError, RuntimeError, UsageError } from '../../errors.js';
import { createHttpClient, type HttpError, type HttpResponse } from '../../client/http.js';
import type { Timer } from '../../io/clock.js';
import type { IO } from '../../io/io.js';
import { isPlainObject, parseJson } from '../../protocol/decode.js';
import { decodeBatchRefused, decodeEventItems, stripBom } from '../../protocol/event-batch.js';
import { sanitizeForLog } from '../../protocol/sanitize.js';
import { DEFAULT_MAX_LINE_BYTES, splitNdjsonLines, type NdjsonLine } from '../../sources/ndjson-lines.js';
import { checkLine } from '../../sources/stream-source.js';
import { plural } from '../../format/plural.js';
import { displayUrl } from '../../format/url.js';
import { MAX_BATCH_BYTES, type PublishOptions } from './options.js';

/**
 * `hangar-events publish [file]`: posts NDJSON events (or a JSON array) to a
 * running serve's `POST /api/events`.
 *
 * A regular file (or a JSON array) is checked completely before anything is
 * sent, so one bad line means nothing is published. On stdin (or a pipe), events are sent in
 * batches as they arrive, so `tail -o ndjson | publish` forwards a live
 * stream; a bad line stops there, and what was sent before it stays
 * published. A batch the server refuses maps its line back to the input's.
 */

/** A JSON array input is read whole; beyond this, NDJSON is the way. */
export const MAX_ARRAY_INPUT_BYTES = 64 * 1024 * 1024;
/** On stdin, a partial batch is sent once no new line has arrived for this long. */
export const STDIN_LINGER_MS = 200;
/** Bad lines listed before "and N more". */
const MAX_LISTED_PROBLEMS = 10;
/** Largest answer read from the server (serve's answers are a few hundred bytes). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** One line (or array item) ready to send: its JSON text and where it came from. */
interface Item {
  readonly number: number;
  readonly text: string;
}

interface Progress {
  sent: number;
  accepted: number;
  /** Number of the last line (item) of the last batch the server accepted. */
  lastNumber: number;
}

/** Runs publish; resolves when everything was accepted, throws a typed error otherwise. */
export async function runPublish(options: PublishOptions, io: IO): Promise<void> {
  const inputName = options.file ?? 'stdin';
  let input: AsyncIterable<Buffer | string>;
  /** Set for a regular file, which can be read twice (check, then send). */
  let path: string | undefined;
  if (options.file !== undefined) {
    const resolved = resolvePath(io.cwd, options.file);
    const regular = await checkReadable(resolved, options.file);
    // A pipe (`publish <(jq -c ...)`, /dev/stdin) can be read once only: it streams like stdin.
    if (regular) path = resolved;
    input = createReadStream(resolved);
  } else {
    if (io.stdin.isTTY) {
      throw new UsageError('publish reads events from a file or from stdin: give a file, or pipe NDJSON in (cat events.ndjson | hangar-events publish)');
    }
    input = io.stdin;
  }
  let peeked: Awaited<ReturnType<typeof peekFirstByte>>;
  try {
    peeked = await peekFirstByte(input);
  } catch (error) {
    throw new RuntimeError(`cannot read ${inputName}`, { cause: error });
  }
  const { first, rest } = peeked;
  const sender = createSender(options);
  try {
    if (first === 0x5b /* [ */) {
      const items = await readJsonArray(rest, inputName);
      await sendAll(items, 'item', inputName, sender, io);
    } else if (path !== undefined) {
      // A file: check every line first, then read it again to send.
      await validateLines(rest, inputName);
      await sendAll(linesOf(createReadStream(path)), 'line', inputName, sender, io);
    } else {
      await sendAll(linesOf(rest, inputName), 'line', inputName, sender, io, STDIN_LINGER_MS);
    }
  } finally {
    sender.close();
  }
}

/** Throws a RuntimeError when `path` cannot be read; returns whether it is a regular file. */
async function checkReadable(path: string, shown: string): Promise<boolean> {
  let handle;
  try {
    const stat = await fsStat(path);
    if (stat.isDirectory()) throw Object.assign(new Error('it is a directory'), { code: 'EISDIR' });
    // Opening a pipe to check it and closing it again could cost its writer a SIGPIPE: only files are opened here.
    if (!stat.isFile()) return false;
    handle = await open(path, 'r');
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory, not a file' : (error as Error).message;
    throw new RuntimeError(`cannot read ${shown} (${reason}); give publish an NDJSON file, or pipe events on stdin`, { cause: error });
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** Reads until the first non-whitespace byte; returns it and a stream that still yields everything. */
async function peekFirstByte(input: AsyncIterable<Buffer | string>): Promise<{ first: number | undefined; rest: AsyncIterable<Buffer> }> {
  const iterator = input[Symbol.asyncIterator]();
  const held: Buffer[] = [];
  let first: number | undefined;
  let done = false;
  while (first === undefined) {
    const step = await iterator.next();
    if (step.done) {
      done = true;
      break;
    }
    const chunk = typeof step.value === 'string' ? Buffer.from(step.value, 'utf8') : step.value;
    held.push(chunk);
    for (const byte of chunk) {
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09 && byte !== 0xef && byte !== 0xbb && byte !== 0xbf) {
        first = byte;
        break;
      }
    }
  }
  async function* rest(): AsyncGenerator<Buffer> {
    yield* held;
    if (done) return;
    for (;;) {
      const step = await iterator.next();
      if (step.done) return;
      yield typeof step.value === 'string' ? Buffer.from(step.value, 'utf8') : step.value;
    }
  }
  return { first, rest: rest() };
}

function stripLineBom(line: NdjsonLine): NdjsonLine {
  return line.lineNumber === 1 && !line.tooLong && line.text.charCodeAt(0) === 0xfeff ? { lineNumber: 1, text: line.text.slice(1) } : line;
}

function hintFor(line: NdjsonLine): string {
  return !line.tooLong && line.text.trim() === '{' ? ' (one pretty-printed JSON object? compact it first: jq -c .)' : '';
}

async function validateLines(input: AsyncIterable<Buffer>, inputName: string): Promise<void> {
  const problems: string[] = [];
  let count = 0;
  for await (const raw of splitNdjsonLines(input, { maxLineBytes: DEFAULT_MAX_LINE_BYTES })) {
    const line = stripLineBom(raw);
    const checked = checkLine(line, DEFAULT_MAX_LINE_BYTES);
    if (checked && 'problem' in checked) {
      count++;
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push(`  ${inputName} line ${line.lineNumber}: ${checked.problem}${hintFor(line)}`);
    }
  }
  if (count > 0) {
    const more = count > problems.length ? `\n  ... and ${count - problems.length} more` : '';
    throw new RuntimeError(`${inputName} has ${count === 1 ? 'a bad line' : `${count} bad lines`}; nothing was published (every line must be a JSON object with a string "event_type"):\n${problems.join('\n')}${more}`);
  }
}

/** Good lines as items; the first bad line stops with an error naming it. */
async function* linesOf(input: AsyncIterable<Buffer | string>, inputName = 'stdin'): AsyncGenerator<Item | BadItem> {
  for await (const raw of splitNdjsonLines(input, { maxLineBytes: DEFAULT_MAX_LINE_BYTES })) {
    const line = stripLineBom(raw);
    const checked = checkLine(line, DEFAULT_MAX_LINE_BYTES);
    if (!checked) continue;
    if ('problem' in checked) {
      yield { number: line.lineNumber, problem: `${checked.problem}${hintFor(line)}`, inputName };
      return;
    }
    yield { number: line.lineNumber, text: (line as { text: string }).text.trim() };
  }
}

interface BadItem {
  readonly number: number;
  readonly problem: string;
  readonly inputName: string;
}

async function readJsonArray(input: AsyncIterable<Buffer>, inputName: string): Promise<Item[]> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    size += chunk.length;
    if (size > MAX_ARRAY_INPUT_BYTES) {
      throw new RuntimeError(`${inputName} is a JSON array larger than ${MAX_ARRAY_INPUT_BYTES / (1024 * 1024)} MiB; send it as NDJSON instead (jq -c '.[]' ${inputName === 'stdin' ? '' : inputName})`.trimEnd());
    }
    chunks.push(chunk);
  }
  const text = stripBom(Buffer.concat(chunks).toString('utf8'));
  const parsed = parseJson(text);
  if (!parsed.ok) throw new RuntimeError(`${inputName} starts with '[' but is not valid JSON: ${sanitizeForLog(parsed.error)}; nothing was published`);
  const value = parsed.value as unknown[];
  // The same item rule as serve's ingest (protocol/event-batch.ts).
  const { problems: refusals } = decodeEventItems(value);
  const problems = refusals.slice(0, MAX_LISTED_PROBLEMS).map((problem) => `  ${inputName} item ${problem.line}: ${problem.reason}`);
  const items: Item[] = refusals.length > 0 ? [] : value.map((entry, index) => ({ number: index + 1, text: JSON.stringify(entry) }));
  const bad = refusals.length;
  if (bad > 0) {
    const more = bad > problems.length ? `\n  ... and ${bad - problems.length} more` : '';
    throw new RuntimeError(`${inputName} has ${bad === 1 ? 'a bad item' : `${bad} bad items`}; nothing was published (every item must be a JSON object with a string "event_type"):\n${problems.join('\n')}${more}`);
  }
  return items;
}

/** What has been published so far, for messages after a failure. */
function describeProgress(progress: Progress, unit: 'line' | 'item', failedFrom: number): string {
  if (progress.accepted === 0) return 'nothing was published';
  const verb = progress.accepted === 1 ? 'was' : 'were';
  return `${plural(progress.accepted, 'event')} up to ${unit} ${progress.lastNumber} ${verb} published; nothing from ${unit} ${failedFrom} on was`;
}

async function sendAll(
  items: Iterable<Item> | AsyncIterable<Item | BadItem>,
  unit: 'line' | 'item',
  inputName: string,
  sender: Sender,
  io: IO,
  lingerMs?: number,
): Promise<void> {
  const progress: Progress = { sent: 0, accepted: 0, lastNumber: 0 };
  let batch: Item[] = [];
  let batchBytes = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    const current = batch;
    batch = [];
    batchBytes = 0;
    await sender.send(current, unit, inputName, progress);
  };

  const add = async (item: Item) => {
    const bytes = Buffer.byteLength(item.text) + 1;
    if (batch.length > 0 && (batch.length >= sender.batchSize || batchBytes + bytes > MAX_BATCH_BYTES)) await flush();
    batch.push(item);
    batchBytes += bytes;
  };

  const onBad = async (bad: BadItem) => {
    await flush(); // everything before the bad line goes out, as promised for streams
    throw new RuntimeError(`${bad.inputName} ${unit} ${bad.number}: ${bad.problem}; ${describeProgress(progress, unit, bad.number)}`);
  };

  if (Symbol.asyncIterator in items) {
    const iterator = (items as AsyncIterable<Item | BadItem>)[Symbol.asyncIterator]();
    let pending = iterator.next();
    for (;;) {
      let step: IteratorResult<Item | BadItem> | 'linger';
      if (lingerMs !== undefined && batch.length > 0) {
        let timer: Timer | undefined;
        const linger = new Promise<'linger'>((resolve) => (timer = io.clock.setTimeout(() => resolve('linger'), lingerMs)));
        step = await Promise.race([pending, linger]);
        timer?.cancel();
      } else {
        step = await pending;
      }
      if (step === 'linger') {
        await flush(); // a live stream paused: send what we have instead of holding it
        continue;
      }
      if (step.done) break;
      pending = iterator.next();
      if ('problem' in step.value) {
        // Let the reader finish its cleanup before reporting.
        await pending.catch(() => undefined);
        await onBad(step.value);
      }
      await add(step.value as Item);
    }
  } else {
    for (const item of items as Iterable<Item>) await add(item);
  }
  await flush();
  const shown = displayUrl(sender.url);
  if (progress.sent === 0) {
    io.stderr.write(`hangar-events: nothing to publish: ${inputName} has no events\n`);
  } else {
    io.stderr.write(`hangar-events: published ${plural(progress.accepted, 'event')} to ${shown}\n`);
  }
}

interface Sender {
  readonly url: URL;
  readonly batchSize: number;
  send(batch: readonly Item[], unit: 'line' | 'item', inputName: string, progress: Progress): Promise<void>;
  close(): void;
}

function createSender(options: PublishOptions): Sender {
  const { url } = options;
  const shown = displayUrl(url);
  const client = createHttpClient({
    credentials: { apiKey: options.apiKey, bearer: options.bearer, apiKeyHeader: options.apiKeyHeader },
    userAgent: 'hangar-events-publish',
    timeoutMs: options.timeoutMs,
    maxResponseBytes: MAX_ANSWER_BYTES,
    serverName: "'hangar-events serve'",
  });

  function post(body: string): Promise<HttpResponse> {
    return client.request({ method: 'POST', url, body: { text: body, contentType: 'application/x-ndjson' } });
  }

  return {
    url,
    batchSize: options.batchSize,
    async send(batch, unit, inputName, progress) {
      const firstNumber = batch[0]!.number;
      let answer: HttpResponse;
      try {
        answer = await post(batch.map((item) => item.text).join('\n') + '\n');
      } catch (error) {
        throw connectionError(shown, error, describeProgress(progress, unit, firstNumber));
      }
      const json = isPlainObject(answer.json) ? answer.json : {};
      const serverMessage = typeof json.message === 'string' ? sanitizeForLog(json.message, 300) : sanitizeForLog(answer.text.trim(), 300);
      const { status } = answer;
      if (status >= 200 && status < 300) {
        const counted = [json.accepted, json.published, json.count].find((v) => typeof v === 'number');
        const accepted = typeof counted === 'number' ? counted : batch.length;
        if (accepted !== batch.length) {
          // A server that published part of a batch (an older serve did, for events it could not serialize):
          // which ones are missing is unknown, so this is a failure, never a success with a footnote.
          const lastNumber = batch[batch.length - 1]!.number;
          const before = progress.accepted === 0 ? 'nothing before them was published' : `${plural(progress.accepted, 'event')} up to ${unit} ${progress.lastNumber} ${progress.accepted === 1 ? 'was' : 'were'} published before them`;
          throw new RuntimeError(
            `${shown} published only ${String(counted)} of the ${plural(batch.length, 'event')} in ${inputName} ${unit}s ${firstNumber}-${lastNumber} (HTTP ${status}): the others were not published, and publish cannot tell which; ${before}; nothing after ${unit} ${lastNumber} was sent`,
          );
        }
        progress.sent += batch.length;
        progress.accepted += accepted;
        progress.lastNumber = batch[batch.length - 1]!.number;
        return;
      }
      if (status === 401 || status === 403) {
        const what =
          options.apiKey === undefined
            ? `${shown} requires an API key (HTTP ${status}); pass --api-key, --api-key-file or set HANGAR_API_KEY`
            : `${shown} refused the API key from ${options.apiKeySource} (HTTP ${status}); check the key${options.bearer ? '' : ', --api-key-header if the server reads keys from another header, or --bearer if it expects a token as Authorization: Bearer'}`;
        throw new AuthError(`${what}; ${describeProgress(progress, unit, firstNumber)}`);
      }
      if (status === 400) {
        // serve names the line of its own batch and the bare reason as fields (protocol/event-batch.ts);
        // without them its message is shown as it is.
        const refused = decodeBatchRefused(json);
        const item = refused.line !== undefined ? batch[refused.line - 1] : undefined;
        const reason = refused.reason !== undefined ? sanitizeForLog(refused.reason, 300) : serverMessage;
        const where = item ? `${inputName} ${unit} ${item.number}` : `${inputName} (${unit}s ${firstNumber}-${batch[batch.length - 1]!.number})`;
        throw new RuntimeError(`${where}: refused by the server: ${reason || `HTTP 400`}; ${describeProgress(progress, unit, firstNumber)}`);
      }
      if (status === 404 || status === 405) {
        throw new RuntimeError(`${shown} has no event ingest (HTTP ${status}); publish talks to 'hangar-events serve' (a gateway has no POST /api/events); check --url; ${describeProgress(progress, unit, firstNumber)}`);
      }
      if (status === 413) {
        throw new RuntimeError(`${shown} refused a batch as too large (HTTP 413: ${serverMessage}); lower --batch-size; ${describeProgress(progress, unit, firstNumber)}`);
      }
      throw new RuntimeError(`${shown} answered HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}; ${describeProgress(progress, unit, firstNumber)}`);
    },
    close() {
      client.close();
    },
  };
}

function connectionError(shown: string, error: unknown, progress: string): ConnectionError {
  const code = (error as HttpError | undefined)?.code;
  const advice =
    code === 'ECONNREFUSED'
      ? '; start it, or point --url (or HANGAR_URL) at it'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? '; check --url'
        : code === 'ETIMEDOUT'
          ? '; the server may be overloaded, or raise --timeout'
          : '';
  // The HTTP client words the failure (client/close-reasons.ts) and keeps an unknown cause for describeError.
  return new ConnectionError(`cannot publish to ${shown}: ${(error as Error).message}${advice}; ${progress}`, error instanceof Error && error.cause !== undefined ? { cause: error.cause } : undefined);
}
