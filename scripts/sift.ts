#!/usr/bin/env node
// sift: the KubeSift CLI. Each subcommand lives in scripts/commands/<name>.ts and is
// loaded only when called, so `sift process` never pays for the generator or KQL tooling.
import { applyRuntimeV8Flags } from '../functions/eventhub/runtimeV8Flags.js';
import { describeError, usageError, userDirectory } from './commands/args.js';

type Command = {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
  /** Runs batches through processEvents: set the worker's runtime V8 flags first, as the app entry does. */
  pipeline?: true;
};

const COMMANDS: Record<string, Command> = {
  process: { summary: 'normalize + detect Event Hub bodies or audit events → JSON lines', load: () => import('./commands/process.js'), pipeline: true },
  generate: { summary: 'generate a seeded synthetic dataset', load: () => import('./commands/generate.js') },
  kql: { summary: 'print (or apply) the ADX database scripts', load: () => import('./commands/kql.js') },
  replay: { summary: 're-drive dead letters from Blob storage through the pipeline', load: () => import('./commands/replay.js'), pipeline: true },
  config: { summary: 'print the settings table, or --check the current environment', load: () => import('./commands/config.js') },
  send: { summary: 'send generated or recorded bodies to an Event Hub', load: () => import('./commands/send.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: sift <command> [options]   (npm run --silent sift -- <command> ...)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'sift <command> --help for its options.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  // The user's relative paths (--out, --input, --policy, a file to process) are relative to
  // where they typed the command. The CLI finds its own files by module URL, never by the
  // working directory, so it can simply work from there.
  if (userDirectory() !== process.cwd()) process.chdir(userDirectory());
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  // A usage error, like every command's: the reason and the usage on stderr, exit 2.
  if (!name) return usageError('sift', usage() + '\n', 'a command is required');
  const cmd = COMMANDS[name];
  if (!cmd) return usageError('sift', usage() + '\n', `unknown command '${name}'`);
  if (cmd.pipeline) applyRuntimeV8Flags();
  // A reader that stops early (`| head`) closes the pipe: the rest of the output has nowhere
  // to go, which is no failure. Without a listener that EPIPE was an unhandled 'error' event
  // (a stack trace, exit 1). Any other write error fails a command that did not report one.
  let stdoutError: NodeJS.ErrnoException | undefined;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => void (stdoutError ??= err));
  const code = await (await cmd.load()).run(rest);
  await new Promise((resolve) => setImmediate(resolve));
  if (code !== 0 || stdoutError === undefined || stdoutError.code === 'EPIPE') return code;
  process.stderr.write(`sift ${name}: cannot write stdout: ${stdoutError.message}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sift: ${describeError(err)}\n`);
    process.exitCode = 1;
  },
);

