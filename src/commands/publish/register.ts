import type { Command } from 'commander';
import { readKeyFile } from '../../credentials.js';
import type { IO } from '../../io/io.js';
import { DEFAULT_BATCH_SIZE, parsePublishOptions, type PublishFlags, type PublishOptions } from './options.js';

export type RunPublish = (options: PublishOptions, io: IO) => Promise<void>;

/**
 * Declares `publish [file]`, turns its flags into PublishOptions and runs it.
 * Tests pass their own `run` to check flag parsing without a server.
 */
export function registerPublish(program: Command, io: IO, run?: RunPublish): void {
  program
    .command('publish')
    .summary('post events (NDJSON or a JSON array) to a running serve')
    .description(
      "Post events to a running 'hangar-events serve' (POST /api/events), from a file or stdin.\n" +
        'Input is NDJSON (one JSON object with a string "event_type" per line) or one JSON array of such objects.\n' +
        'A file is checked whole before anything is sent; on stdin, events are sent in batches as they arrive.',
    )
    .argument('[file]', "NDJSON or JSON array file ('-' or none: stdin)")
    .option('--url <url>', 'serve to post to: http(s)://, ws(s):// or host:port (default: $HANGAR_URL, else http://127.0.0.1:8000)')
    .option('-k, --api-key <key>', 'API key (default: $HANGAR_API_KEY); sent as X-API-Key')
    .option('--api-key-file <file>', 'read the API key from a file (first non-empty line)')
    .option('--api-key-header <name>', 'send the API key in this header instead of X-API-Key')
    .option('--bearer', 'send the credential as Authorization: Bearer: a JWT/OIDC token, not an API key')
    .option('--batch-size <n>', `events per request (default ${DEFAULT_BATCH_SIZE}; requests also stay under 512 KiB)`)
    .option('--timeout <duration>', 'how long to wait for each answer: 500ms, 10s, 1m (default 30s)')
    .addHelpText(
      'after',
      `
Examples:
  hangar-events publish events.ndjson
  echo '{"event_type": "McpServerStarted", "mcp_server_id": "math", "mode": "subprocess"}' | hangar-events publish
  hangar-events tail -o ndjson wss://hangar.example.com | hangar-events publish --url localhost:8000
  HANGAR_API_KEY=... hangar-events publish --url http://127.0.0.1:9000 recorded.ndjson

Reports on stderr what was published, or the line the server refused.
Exit codes: 0 published, 1 a bad line or the server refused, 2 usage error, 4 API key refused.`,
    )
    .action(async (file: string | undefined, flags: PublishFlags) => {
      // One rule for key files in every command (credentials.ts): an unreadable file is a usage error.
      const keys = flags.apiKeyFile !== undefined ? await readKeyFile(flags.apiKeyFile, io.cwd, '--api-key-file') : undefined;
      const options = parsePublishOptions(file, flags, io.env, keys);
      const runPublish = run ?? (await import('./publish.js')).runPublish;
      await runPublish(options, io);
    });
}
