import type { Command } from 'commander';
import { collect } from '../parse.js';
import type { IO } from '../../io/io.js';
import { toDemoOptions, type DemoFlags, type DemoOptions } from './options.js';

/** Runs the demo; the real one (server, simulator, tail) is loaded lazily so `--help` stays fast. */
export type DemoRunner = (options: DemoOptions, io: IO) => Promise<void>;

const runDemoLazily: DemoRunner = async (options, io) => {
  const { runDemo } = await import('./demo.js');
  await runDemo(options, io);
};

const examples = `
Examples:
  hangar-events demo                          the live table on a terminal, pretty lines in a pipe
  hangar-events demo --seed 7 --rate 20       a reproducible fleet, four times busier
  hangar-events demo -t '*Failed'             only the failures
  hangar-events demo -o ndjson | jq -c 'select(.duration_ms > 500)'

The demo prints on stderr how to reach the same server from a second terminal, e.g.
  hangar-events tail ws://127.0.0.1:PORT/api/ws/events --type 'HealthCheck*'
Ctrl-C stops both the server and the view (exit 0).
`;

/** Declares `hangar-events demo`: an embedded serve with the simulated fleet, shown live in the same process. */
export function registerDemo(program: Command, io: IO, run: DemoRunner = runDemoLazily): void {
  program
    .command('demo')
    .description('run a simulated fleet on a local server and watch it live, in one process (Ctrl-C to stop)')
    .option('-p, --port <port>', 'port of the embedded server on 127.0.0.1 (default: any free port)')
    .option('--servers <n>', 'simulated MCP servers (default: 5)')
    .option('--rate <events/s>', 'average events per second (default: 5)')
    .option('--seed <n>', 'make the simulated fleet reproducible, event for event')
    .option('--profile <gateway>', "'current' (default) or 'legacy': a pre-rename gateway (Provider* names, provider_id)")
    .option('-o, --output <mode>', 'table, pretty or ndjson (default: table on a terminal, pretty otherwise)')
    .option('-t, --type <pattern>', 'event types to show: names or globs, repeatable, comma-separated', collect)
    .option('-x, --exclude-type <pattern>', 'event types to hide, repeatable, comma-separated', collect)
    .option('-s, --server <id>', 'only these simulated servers (math, fetch, github, ...), repeatable', collect)
    .option('--where <expr>', "field predicate such as 'duration_ms>500' (repeatable, ANDed)", collect)
    .option('--time <mode>', 'pretty output: local, utc, iso, relative or none (default: local)')
    .option('--color <mode>', 'auto, always or never (default: auto; honours NO_COLOR and FORCE_COLOR)')
    .option('--no-color', 'same as --color never')
    .addHelpText('after', examples)
    .action(async (flags: DemoFlags) => {
      const options = await toDemoOptions(flags, { stdoutIsTTY: io.stdout.isTTY });
      await run(options, io);
    });
}
