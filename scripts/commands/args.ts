// One way for sift subcommands to read their options: usage errors exit 2 with the usage text,
// --help prints it and exits 0, so every command behaves the same at the prompt.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>;

/** Parsed values (no positionals), or the exit code when the command should stop here. */
export function parseCommandArgs<O extends Options>(command: string, usage: string, argv: string[], options: O): Values<O> | number {
  let parsed: Values<O>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    process.stderr.write(`sift ${command}: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  if ((parsed.values as Record<string, unknown>).help) {
    process.stdout.write(usage);
    return 0;
  }
  return parsed;
}
