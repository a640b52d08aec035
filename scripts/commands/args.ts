// One way for sift subcommands, npm start and npm run bench to read their options: usage errors exit 2 with the usage text,
// --help prints it and exits 0, so every command behaves the same at the prompt.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options, P extends boolean> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: P }>>;

/** A bad command line: the message names the offending flag or value. */
export class UsageError extends Error {}

/**
 * The command line parsed strictly (unknown flags, missing values and, unless allowed, positionals
 * throw UsageError), or 'help' when --help / -h was given. Pure: for commands that validate further.
 */
export function parseCommandLine<O extends Options, P extends boolean = false>(argv: string[], options: O, allowPositionals?: P): Parsed<O, P> | 'help' {
  let parsed: Parsed<O, P>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: (allowPositionals ?? false) as P });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err as Error & { code?: string }));
  }
  return (parsed.values as Record<string, unknown>).help ? 'help' : parsed;
}

/**
 * node:util parseArgs's errors, said shortly: its unknown-option text runs on with advice about
 * '--' that fits few commands. Others keep Node's text, which names the flag already.
 */
const PARSE_ARGS_MESSAGES: Readonly<Record<string, readonly [RegExp, (arg: string) => string]>> = {
  ERR_PARSE_ARGS_UNKNOWN_OPTION: [/^Unknown option '([^']+)'/, (flag) => `unknown option ${flag}`],
  ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL: [/^Unexpected argument '([^']*)'/, (arg) => `unexpected argument '${arg}'`],
};

function parseArgsMessage(err: Error & { code?: string }): string {
  const entry = PARSE_ARGS_MESSAGES[err.code ?? ''];
  const arg = entry?.[0].exec(err.message)?.[1];
  return entry && arg !== undefined ? entry[1](arg) : err.message;
}

/**
 * Report a usage error the way every command does: the reason, the usage lines (the text up to
 * its first blank line) and where the full help is. `program` is how it was run ('sift
 * process', 'npm start'). Returns the exit code (2).
 */
export function usageError(program: string, usage: string, message: string): number {
  const blank = usage.indexOf('\n\n');
  const synopsis = blank < 0 ? usage : `${usage.slice(0, blank + 1)}(${program} --help for every option)\n`;
  process.stderr.write(`${program}: ${message}\n\n${synopsis}`);
  return 2;
}

/** An integer flag's value (`def` when absent); anything else, or outside [min, max], is a UsageError naming the flag. */
export function intFlag(value: string | undefined, name: string, def: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  // A whole number past 2^53 is a range error, not "not an integer".
  if (!Number.isNaN(n) && !Number.isSafeInteger(n)) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer${max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` from ${min} to ${max}`}, got '${value}'`);
  }
  return n;
}

/** A numeric flag's value (undefined when absent); text that is not a finite number is a UsageError naming the flag. */
export function numFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  return n;
}

/**
 * Parsed values (and positionals when allowed), or the exit code when the command should stop
 * here. `check` turns the values into what the command needs (intFlag, numFlag, ...) and may
 * throw UsageError too: its result is `checked`, its errors are reported like parse errors.
 */
export function parseCommandArgs<O extends Options, P extends boolean = false, V = undefined>(
  program: string,
  usage: string,
  argv: string[],
  options: O,
  { allowPositionals, check }: { allowPositionals?: P; check?: (parsed: Parsed<O, P>) => V } = {},
): (Parsed<O, P> & { checked: V }) | number {
  let parsed: Parsed<O, P> | 'help';
  let checked: V;
  try {
    parsed = parseCommandLine(argv, options, allowPositionals);
    if (parsed === 'help') {
      process.stdout.write(usage);
      return 0;
    }
    checked = check ? check(parsed) : (undefined as V);
  } catch (err) {
    if (err instanceof UsageError) return usageError(program, usage, err.message);
    throw err;
  }
  return { ...parsed, checked };
}

/**
 * A failure in words. Some carry no message: a refused connection is an AggregateError of
 * one error per address (`sift send` printed "sift: " and nothing else).
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const inner = err instanceof AggregateError ? err.errors.map(describeError).filter(Boolean) : [];
  const code = (err as { code?: unknown }).code;
  return err.message || inner.join('; ') || (typeof code === 'string' ? code : '') || err.name;
}

/**
 * Where the user typed the command: `npm run` and `npm start` run scripts in the package root
 * and pass the user's directory as INIT_CWD. A path the user names is relative to it.
 */
export const userDirectory = (): string => process.env.INIT_CWD || process.cwd();
