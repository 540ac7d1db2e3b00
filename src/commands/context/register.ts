import type { Command } from 'commander';
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import type { IO } from '../../io/io.js';
import { collect } from '../parse.js';

const examples = `
Examples:
  hangar-events context add prod --url wss://hangar.example.com --api-key-env PROD_HANGAR_KEY --use
  hangar-events context add staging --url staging.internal:8000 --api-key-file ~/.config/hangar/staging.key --ca ca.pem
  hangar-events context list                    the contexts; * marks the current one
  hangar-events context use staging             tail now connects there by default
  hangar-events tail --context prod -t '*Failed'   one command against another context
  HANGAR_CONTEXT=prod hangar-events tail         the same, from the environment
  hangar-events context show prod               its settings as JSON (keys are never stored: only a file or a variable name)
  hangar-events context remove staging

Stored in $XDG_CONFIG_HOME/hangar-events/config.json (~/.config/... by default; macOS:
~/Library/Application Support/hangar-events/config.json; Windows: %APPDATA%\\hangar-events\\config.json;
HANGAR_CONFIG names another file), mode 0600. tail uses a context for what its own flags and
HANGAR_URL/HANGAR_API_KEY leave open; serve never reads contexts.
`;

interface AddFlags {
  url?: string;
  apiKey?: string;
  apiKeyFile?: string;
  apiKeyEnv?: string;
  bearer?: boolean;
  header?: string[];
  ca?: string;
  insecure?: boolean;
  use?: boolean;
}

/** Declares `hangar-events context add|use|list|show|remove`. */
export function registerContext(program: Command, io: IO): void {
  const context = program
    .command('context')
    .description('named connections for tail (URL, key file or variable, headers, CA), as nats context and kubeconfig keep them')
    .addHelpText('after', examples);

  context
    .command('add')
    .description('add or replace a context')
    .argument('<name>', 'letters, digits, ., _ and -')
    .option('--url <url>', 'the gateway (or serve): ws(s)://, http(s):// or host:port')
    .option('--api-key <key>', 'refused: a key is never stored in clear (use --api-key-file or --api-key-env)')
    .option('--api-key-file <file>', 'read the key from this file when the context is used (its path is stored)')
    .option('--api-key-env <name>', 'read the key from this environment variable when the context is used')
    .option('--bearer', 'send the key as Authorization: Bearer')
    .option('-H, --header <header>', "extra upgrade header 'Name: value' (repeatable)", collect)
    .option('--ca <file>', 'trust this CA certificate (PEM) for wss://')
    .option('--insecure', 'do not verify the TLS certificate')
    .option('--use', 'make it the current context')
    .action(async (name: string, flags: AddFlags) => {
      const { normaliseUrl } = await import('../../client/url.js');
      const { parseHeaderFlag } = await import('../parse.js');
      checkName(name);
      if (flags.apiKey !== undefined) {
        throw new UsageError('a context never stores a key in clear: put it in a file (--api-key-file FILE) or a variable (--api-key-env NAME)');
      }
      if (flags.url === undefined) throw new UsageError('context add needs --url');
      if (flags.apiKeyFile !== undefined && flags.apiKeyEnv !== undefined) throw new UsageError('use either --api-key-file or --api-key-env, not both');
      if (flags.apiKeyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(flags.apiKeyEnv)) {
        throw new UsageError(`invalid --api-key-env '${flags.apiKeyEnv}': expected a variable name such as PROD_HANGAR_KEY (the name, not the key)`);
      }
      normaliseUrl(flags.url);
      for (const header of flags.header ?? []) parseHeaderFlag(header);
      const { credentialIn } = await import('../../config/contexts.js');
      const credential = credentialIn({ url: flags.url, headers: flags.header });
      if (credential !== undefined) {
        const bearer = /authorization/i.test(credential) ? ' (with --bearer it is sent as Authorization: Bearer)' : '';
        throw new UsageError(`a context never stores a credential in clear, and ${credential} holds one: put the key in a file (--api-key-file FILE) or a variable (--api-key-env NAME)${bearer}, and give --url without it`);
      }
      const absolute = (file: string | undefined) => (file === undefined ? undefined : isAbsolute(file) ? file : resolve(io.cwd, file));
      await update(io, (config) => ({
        current: flags.use ? name : config.current,
        contexts: {
          ...config.contexts,
          [name]: dropUndefined({
            url: flags.url!,
            apiKeyFile: absolute(flags.apiKeyFile),
            apiKeyEnv: flags.apiKeyEnv,
            bearer: flags.bearer === true ? true : undefined,
            headers: flags.header,
            ca: absolute(flags.ca),
            insecure: flags.insecure === true ? true : undefined,
          }),
        },
      }));
      io.stderr.write(`hangar-events: context '${name}' saved${flags.use ? ' and in use' : ''}\n`);
    });

  context
    .command('use')
    .description('make a context the current one (tail uses it by default)')
    .argument('<name>')
    .action(async (name: string) => {
      await update(io, (config) => {
        if (!(name in config.contexts)) throw unknown(name, config.contexts);
        return { ...config, current: name };
      });
      io.stderr.write(`hangar-events: using context '${name}'\n`);
    });

  context
    .command('list')
    .description('the contexts as a table: CURRENT (*), NAME, URL, KEY (where it is read from), TLS')
    .option('--names', 'only the names, one per line (for scripts and shell completion)')
    .action(async (flags: { names?: boolean }) => {
      const { config } = await load(io);
      if (flags.names) {
        for (const name of Object.keys(config.contexts)) io.stdout.write(`${name}\n`);
        return;
      }
      const { formatContextList } = await import('./format-list.js');
      const text = formatContextList(config);
      if (text === '') io.stderr.write('hangar-events: no contexts yet: hangar-events context add NAME --url URL --use\n');
      io.stdout.write(text);
    });

  context
    .command('show')
    .description('a context as JSON (the current one without a name)')
    .argument('[name]')
    .action(async (name: string | undefined) => {
      const { config } = await load(io);
      const chosen = name ?? config.current;
      if (chosen === undefined) throw new UsageError('no current context: name one (hangar-events context show NAME) or choose one (hangar-events context use NAME)');
      const value = config.contexts[chosen];
      if (!value) throw unknown(chosen, config.contexts);
      const { redactContext } = await import('../../config/contexts.js');
      io.stdout.write(`${JSON.stringify({ name: chosen, current: chosen === config.current, ...redactContext(value) }, null, 2)}\n`);
    });

  context
    .command('remove')
    .description('remove a context')
    .argument('<name>')
    .action(async (name: string) => {
      await update(io, (config) => {
        if (!(name in config.contexts)) throw unknown(name, config.contexts);
        const { [name]: _removed, ...rest } = config.contexts;
        return { current: config.current === name ? undefined : config.current, contexts: rest };
      });
      io.stderr.write(`hangar-events: context '${name}' removed\n`);
    });

  for (const command of context.commands) command.exitOverride().configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: (t) => io.stderr.write(t) });
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new UsageError(`invalid context name '${name}': letters, digits, ., _ and - (at most 64)`);
}

function unknown(name: string, contexts: Readonly<Record<string, unknown>>): UsageError {
  const names = Object.keys(contexts);
  return new UsageError(`no context '${name}'${names.length > 0 ? ` (there are: ${names.join(', ')})` : ' (none yet: hangar-events context add NAME --url URL)'}`);
}

async function load(io: IO) {
  const { configPath, readConfig, ConfigError, configWarnings } = await import('../../config/contexts.js');
  const path = configPath(io.env, process.platform);
  for (const warning of await configWarnings(path, process.getuid?.())) io.stderr.write(`hangar-events: warning: ${warning}\n`);
  try {
    return { path, config: await readConfig(path) };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

async function update(io: IO, change: (config: import('../../config/contexts.js').ContextConfig) => import('../../config/contexts.js').ContextConfig): Promise<void> {
  const { writeConfig } = await import('../../config/contexts.js');
  const { path, config } = await load(io);
  await writeConfig(path, change(config));
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
