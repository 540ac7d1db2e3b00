import { Command, Option } from 'commander';

/** A program shaped like hangar-events' tail and serve, independent of whether they have landed. */
export function sampleProgram(): Command {
  const program = new Command('hangar-events').version('9.9.9', '-V, --version', 'print the version');
  program
    .command('tail')
    .description('follow the stream')
    .argument('[url...]', 'where to connect')
    .option('-t, --type <pattern>', 'event types to show')
    .option('-x, --exclude-type <pattern>', 'event types to hide')
    .option('-s, --server <id>', 'servers to show')
    .option('-o, --output <format>', 'pretty, ndjson or table')
    .option('--time <mode>', "how to show times ('local' [default])")
    .option('--color <mode>', 'auto, always or never')
    .option('--no-color', 'no color')
    .option('--record <file>', 'append events to a file')
    .option('-n, --count <n>', 'stop after n events')
    .option('-q, --quiet', 'no status lines');
  program
    .command('serve')
    .description('serve a stream')
    .addOption(new Option('--log-format <format>', 'log lines').choices(['pretty', 'json']))
    .option('--replay <file>', 'replay a recording');
  program.command('publish').description('post events').argument('[file]', 'NDJSON file');
  return program;
}
