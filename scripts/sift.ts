#!/usr/bin/env node
// sift: the KubeSift CLI. Each subcommand lives in scripts/commands/<name>.ts and is
// loaded only when called, so `sift process` never pays for the generator or KQL tooling.
import { applyRuntimeV8Flags } from '../functions/eventhub/runtimeV8Flags.js';
import { describeError } from './commands/args.js';

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
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`sift: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  if (cmd.pipeline) applyRuntimeV8Flags();
  return (await cmd.load()).run(rest);
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

