#!/usr/bin/env node
// npm start [-- --once] [-- --port 7071] [-- --count 3000] [-- --seed 42] [-- --no-demo] [-- --input FILE]
// Runs KubeSift on this machine with nothing but Node: see docs/local.md.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { intFlag, parseCommandArgs, UsageError, userDirectory } from './commands/args.js';
import { bodyFilesIn, noBodyFiles } from './commands/bodyInput.js';
import { DatasetRequest, PlanError, resolveRequest } from '../functions/generate/index.js';
import { MAX_COUNT } from '../functions/generate/request.js';
import { startLocal } from './local/runner.js';
import { portFree } from './azurite.js';

const USAGE = `usage: npm start [-- --once] [--port N] [--count N] [--seed N] [--no-demo] [--input PATH]...
                 [--data DIR] [--blob-port N] [--queue-port N]

  --once      exit after the demo summary (CI, tests); also KUBESIFT_LOCAL_ONCE=1
  --port      HTTP port for the functions (default 7071, like func start; 0 = any free port)
  --count     records in the demo AKS dataset (default 3000, at most 1000000)
  --seed      demo dataset seed, any integer (default 42)
  --no-demo   only serve; do not generate and process the demo dataset
  --input     your own AKS diagnostic Event Hub bodies, run after the demo and landed like it: a file of JSON lines
              or one JSON document (a body, or an array of bodies), gzipped or not (a downloaded dataset's
              data.eventhub.jsonl.gz as it is); a folder of .json/.jsonl/.ndjson(.gz) files; or - (stdin); repeatable
  --data      Azurite data folder (default .azurite/ in the project, git-ignored; a relative DIR is from where you run npm)
  --blob-port, --queue-port
              Azurite ports (default 10000/10001 when free, else any free port; 0 = any; a port you
              name must be free)
`;

/**
 * The demo request resolved as the generator will resolve it, so what it refuses (a count too
 * small for every attack scenario) is a usage error before Azurite starts, not a failure after.
 */
function checkDemo(count: number, seed: number): void {
  // Fields other than count and seed are fixed here; they are named as the generator names them.
  const refuse = (field: string, message: string): never => {
    const flag = field === 'count' || field === 'seed' ? `--${field}` : `the demo's ${field}`;
    throw new UsageError(`${flag}: ${message}; the demo injects every attack scenario (--no-demo skips it)`);
  };
  const parsed = DatasetRequest.safeParse({ logType: 'aks-diagnostics', count, seed, scenarios: ['all'], format: 'eventhub' });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse(issue?.path.map(String).join('.') ?? '', issue?.message ?? 'invalid');
  }
  try {
    resolveRequest(parsed.data);
  } catch (err) {
    if (err instanceof PlanError) refuse(err.field, err.message);
    throw err;
  }
}

/** parseArgs reads '-1' after --seed as an option, not its value: join them (--seed=-1). */
function joinNegativeValues(argv: string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (flags.includes(argv[i]!) && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

async function main(): Promise<number> {
  const parsed = parseCommandArgs(
    'npm start',
    USAGE,
    joinNegativeValues(process.argv.slice(2), ['--seed']),
    {
      once: { type: 'boolean' },
      port: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
      'no-demo': { type: 'boolean' },
      input: { type: 'string', multiple: true },
      data: { type: 'string' },
      'blob-port': { type: 'string' },
      'queue-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    {
      check: ({ values }) => {
        const checked = {
          port: intFlag(values.port, 'port', 7071, 0, 65535),
          blobPort: intFlag(values['blob-port'], 'blob-port', 10000, 0, 65535),
          queuePort: intFlag(values['queue-port'], 'queue-port', 10001, 0, 65535),
          // The generator's own bounds, checked here: past them the run would start Azurite first.
          count: intFlag(values.count, 'count', 3000, 1, MAX_COUNT),
          // Any safe integer, 0 and negatives included, as the generator takes.
          seed: intFlag(values.seed, 'seed', 42, Number.MIN_SAFE_INTEGER),
        };
        if (!values['no-demo']) checkDemo(checked.count, checked.seed);
        // Before Azurite starts: a mistyped path is a usage error, not a failure after start-up.
        // Relative to where the user typed the command, as --data is.
        const input = (values.input ?? []).map((p) => (p === '-' ? p : path.resolve(userDirectory(), p)));
        input.forEach((full, i) => {
          const p = values.input![i]!;
          if (full === '-') return;
          if (!existsSync(full)) throw new UsageError(`--input: cannot read ${p} (no such file or folder)`);
          if (statSync(full).isDirectory() && bodyFilesIn(full, readdirSync(full)).length === 0) throw new UsageError(`--input: ${noBodyFiles(p)}`);
        });
        return { ...checked, input };
      },
    },
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const { port, blobPort, queuePort, count, seed, input } = parsed.checked;
  // The runner's own state stays where npm runs it (the package root); a --data folder the
  // user names is relative to where they typed the command.
  const root = process.cwd();
  const once = values.once || ['1', 'true'].includes(process.env.KUBESIFT_LOCAL_ONCE ?? '');
  // A port the user named is the one they want: the default one falls back to a free port when
  // taken, a named one taken is an error (it was replaced silently).
  for (const [flag, n] of [['--blob-port', values['blob-port'] === undefined ? 0 : blobPort], ['--queue-port', values['queue-port'] === undefined ? 0 : queuePort]] as const) {
    if (n > 0 && !(await portFree(n))) throw new Error(`${flag} ${n} is in use (another Azurite, or npm start?): stop it, or pass ${flag} 0 for a free one`);
  }
  const runner = await startLocal({
    dataDir: values.data === undefined ? path.resolve(root, '.azurite') : path.resolve(userDirectory(), values.data),
    stateDir: path.resolve(root, '.kubesift'),
    port,
    blobPort: blobPort || undefined,
    queuePort: queuePort || undefined,
    demo: values['no-demo'] ? false : { count, seed },
    input,
  });

  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${why}: stopping the HTTP server and Azurite…\n`);
    await runner.stop();
    process.stdout.write('stopped.\n');
  };
  // A crash after start-up must not leave Azurite (a child process) running.
  for (const ev of ['uncaughtException', 'unhandledRejection'] as const) {
    process.once(ev, (err: unknown) => {
      process.stderr.write(`kubesift local: ${ev}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      void stop('crash').finally(() => process.exit(1));
    });
  }
  if (once) {
    await stop('--once');
    // A smoke test must fail when the demo did not go through.
    const failed = ([['demo', runner.demo?.failedBatches ?? 0], ['--input', runner.input?.failedBatches ?? 0]] as const).filter(([, n]) => n > 0);
    for (const [what, n] of failed) process.stderr.write(`kubesift local: ${n} ${what} batch(es) failed (see the log above)\n`);
    return failed.length > 0 ? 1 : 0;
  }
  // Handlers first: a write to a pipe is synchronous on Linux, so whoever reads the line may
  // signal before the next statement runs, and Node's default for SIGINT is to die at once.
  const stopped = new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop(sig).then(resolve));
  });
  process.stdout.write(`\nServing on ${runner.url}/api/ — Ctrl-C to stop.\n`);
  await stopped;
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kubesift local: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
