import { UsageError } from '../../errors.js';
import { parseChoice } from '../parse.js';
import { toServeOptions, type ServeOptions } from '../serve/options.js';
import { toTailOptions, type TailFlags, type TailOptions } from '../tail/options.js';

/** The raw flag values commander hands over for `hangar-events demo`. */
export interface DemoFlags {
  port?: string;
  servers?: string;
  rate?: string;
  seed?: string;
  profile?: string;
  output?: string;
  type?: string[];
  excludeType?: string[];
  server?: string[];
  where?: string[];
  time?: string;
  color?: string | boolean;
}

/** How demo shows the stream: the live table on a terminal, pretty lines otherwise. */
export type DemoOutput = 'table' | 'pretty' | 'ndjson';
export const DEMO_OUTPUTS: readonly DemoOutput[] = ['table', 'pretty', 'ndjson'];

/** Everything `demo` needs: an embedded serve (loopback, simulated fleet) and a tail of it. */
export interface DemoOptions {
  /** Serve's options: 127.0.0.1, the chosen port (0 = any free one), the simulated fleet, no API key. */
  readonly serve: ServeOptions;
  /** Tail's options; `urls` is replaced by the embedded server's real URL once it listens. */
  readonly tail: TailOptions;
}

/** What the options depend on besides the flags. */
export interface DemoOptionContext {
  readonly stdoutIsTTY: boolean;
}

/** A placeholder until the embedded server has its real port. */
const PENDING_URL = 'ws://127.0.0.1:0/api/ws/events';

/**
 * Pure: flags -> DemoOptions, reusing serve's and tail's own flag parsing so
 * the demo accepts exactly their values. The environment is ignored on
 * purpose: the demo never reads HANGAR_URL or HANGAR_API_KEY (it talks to its
 * own embedded server, which has no key).
 */
export async function toDemoOptions(flags: DemoFlags, context: DemoOptionContext): Promise<DemoOptions> {
  const output: DemoOutput = flags.output === undefined ? (context.stdoutIsTTY ? 'table' : 'pretty') : parseChoice('-o/--output', flags.output, DEMO_OUTPUTS);
  const serve = toServeOptions(
    { host: '127.0.0.1', port: flags.port ?? '0', demo: true, servers: flags.servers, rate: flags.rate, seed: flags.seed, profile: flags.profile },
    {},
  );
  const tailFlags = (mode: DemoOutput): TailFlags => ({
    output: mode,
    type: flags.type,
    excludeType: flags.excludeType,
    server: flags.server,
    where: flags.where,
    time: flags.time,
    color: flags.color,
    // The demo's own hint says where it is connected; tail's connection status would repeat it.
    quiet: true,
    // The fleet starts before the tail has connected: replaying the server's history from its
    // first event means the demo always shows the fleet from its boot (and --seed output is exact).
    history: '10000',
  });
  const tailOptions = (mode: DemoOutput) => toTailOptions([PENDING_URL], tailFlags(mode), { env: {}, stdoutIsTTY: context.stdoutIsTTY });
  try {
    return { serve, tail: await tailOptions(output) };
  } catch (error) {
    // A build whose tail has no live table yet: the default falls back to pretty lines.
    if (flags.output === undefined && output === 'table' && error instanceof UsageError) return { serve, tail: await tailOptions('pretty') };
    throw error;
  }
}
