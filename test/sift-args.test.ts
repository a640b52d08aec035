// Every sift subcommand reads its options through scripts/commands/args.ts: --help prints the
// usage and exits 0, an unknown flag or a stray positional exits 2 naming it, and the flags each
// command documents still parse.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeError, intFlag, numFlag, parseCommandArgs, parseCommandLine, UsageError } from '../scripts/commands/args.js';
import { settingsTable } from '../scripts/commands/config.js';
import { databaseCommands } from '../functions/kusto/render.js';

const COMMANDS = {
  process: () => import('../scripts/commands/process.js'),
  generate: () => import('../scripts/commands/generate.js'),
  kql: () => import('../scripts/commands/kql.js'),
  replay: () => import('../scripts/commands/replay.js'),
  config: () => import('../scripts/commands/config.js'),
  send: () => import('../scripts/commands/send.js'),
} as const;

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

describe('args.ts', () => {
  const options = { out: { type: 'string', short: 'o' }, dry: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

  it('parses flags, aliases and, only when allowed, positionals', () => {
    expect(parseCommandLine(['-o', 'f', '--dry'], options)).toMatchObject({ values: { out: 'f', dry: true }, positionals: [] });
    expect(parseCommandLine(['a', '--out=f', '-'], options, true)).toMatchObject({ values: { out: 'f' }, positionals: ['a', '-'] });
    expect(() => parseCommandLine(['a'], options)).toThrow("unexpected argument 'a'");
    expect(() => parseCommandLine(['--bogus'], options, true)).toThrow(UsageError);
    expect(() => parseCommandLine(['--out'], options)).toThrow(/--out/);
    expect(parseCommandLine(['-h'], options)).toBe('help');
  });

  it('usage errors exit 2 with the message and the usage on stderr; --help exits 0 on stdout', () => {
    expect(parseCommandArgs('sift demo', 'USAGE\n', ['--bogus'], options)).toBe(2);
    // Node's text ("Unknown option '--bogus'. To specify a positional argument starting with a
    // '-', place it at the end …") said shortly.
    expect(err).toBe('sift demo: unknown option --bogus\n\nUSAGE\n');
    expect(out).toBe('');
    // A long usage: its synopsis (up to the first blank line) and where the rest is, not all of it.
    const long = 'usage: sift demo [-o F]\n\noptions:\n  -o F  output\n';
    expect(parseCommandArgs('sift demo', long, ['--bogus'], options)).toBe(2);
    expect(err.endsWith('sift demo: unknown option --bogus\n\nusage: sift demo [-o F]\n(sift demo --help for every option)\n')).toBe(true);
    expect(parseCommandArgs('sift demo', 'USAGE\n', ['--help'], options)).toBe(0);
    expect(out).toBe('USAGE\n');
    expect(parseCommandArgs('sift demo', 'USAGE\n', ['x', '-o', 'f'], options, { allowPositionals: true })).toMatchObject({ positionals: ['x'], values: { out: 'f' } });
  });

  it('check: its result is `checked`, its UsageError is reported like a parse error, --help skips it', () => {
    const check = ({ values }: { values: { out?: string } }) => ({ n: intFlag(values.out, 'out', 1) });
    expect(parseCommandArgs('sift demo', 'USAGE\n', ['-o', '7'], options, { check })).toMatchObject({ values: { out: '7' }, checked: { n: 7 } });
    expect(parseCommandArgs('sift demo', 'USAGE\n', ['-o', 'x'], options, { check })).toBe(2);
    expect(err).toBe("sift demo: --out must be an integer >= 1, got 'x'\n\nUSAGE\n");
    expect(parseCommandArgs('sift demo', 'USAGE\n', ['-o', 'x', '-h'], options, { check })).toBe(0);
    expect(() => parseCommandArgs('sift demo', 'USAGE\n', [], options, { check: () => { throw new TypeError('a bug, not a usage error'); } })).toThrow(TypeError);
  });

  it('intFlag and numFlag: the default when absent, numbers (whole, in range) as given, a UsageError naming the flag otherwise', () => {
    expect(intFlag(undefined, 'n', 7)).toBe(7);
    expect(intFlag('12', 'n', 7)).toBe(12);
    expect(intFlag('0', 'port', 7071, 0, 65535)).toBe(0);
    for (const bad of ['', 'x', '1.5', '1e3', '0x10', '0', '-3', '99999999999999999999']) expect(() => intFlag(bad, 'n', 7), bad).toThrow(UsageError);
    expect(() => intFlag('abc', 'records', 1)).toThrow("--records must be an integer >= 1, got 'abc'");
    expect(numFlag(undefined, 'rate')).toBeUndefined();
    expect(numFlag('2.5', 'rate')).toBe(2.5);
    for (const bad of ['', ' ', 'x', 'NaN', 'Infinity']) expect(() => numFlag(bad, 'rate'), bad).toThrow("--rate must be a number, got '");
    expect(() => intFlag('70000', 'port', 7071, 0, 65535)).toThrow("--port must be an integer from 0 to 65535, got '70000'");
  });
});

describe.each(Object.keys(COMMANDS) as (keyof typeof COMMANDS)[])('sift %s', (name) => {
  it('--help prints its usage and exits 0', async () => {
    expect(await (await COMMANDS[name]()).run(['--help'])).toBe(0);
    expect(out).toMatch(/^usage: /);
    expect(out.endsWith('\n')).toBe(true);
    expect(err).toBe('');
  });

  it('an unknown flag exits 2 naming it, with the usage', async () => {
    expect(await (await COMMANDS[name]()).run(['--no-such-flag'])).toBe(2);
    expect(err).toMatch(new RegExp(`^sift ${name}: unknown option --no-such-flag\\n\\nusage: `));
    expect(out).toBe('');
  });
});

describe('commands keep their flags', () => {
  it('process: aliases, defaults, - for stdin, exactly one input', async () => {
    const { parseProcessArgs, hostBatchSize } = await COMMANDS.process();
    const opts = parseProcessArgs(['-', '--format', 'audit', '--cluster', 'c1', '--now', '2025-01-02T00:00:00Z', '--batch-size', '7', '--max-body-bytes', '99', '--profile', 'falco']);
    expect(opts).toMatchObject({ input: '-', format: 'audit', defaultCluster: 'c1', batchSize: 7, maxBodyBytes: 99, now: new Date('2025-01-02T00:00:00Z') });
    expect(parseProcessArgs(['f.json'])).toMatchObject({ input: 'f.json', format: 'eventhub', defaultCluster: 'unknown', batchSize: hostBatchSize() });
    expect(parseProcessArgs(['-h'])).toBe('help');
    expect(() => parseProcessArgs(['a', 'b'])).toThrow(/exactly one input/);
    expect(() => parseProcessArgs(['a', '--bogus'])).toThrow('unknown option --bogus');
    expect(() => parseProcessArgs(['a', '--cluster'])).toThrow(/--cluster/);
    expect(() => parseProcessArgs(['a', '--batch-size', 'ten'])).toThrow(/--batch-size must be an integer >= 1, got 'ten'/);
    // A whole number too large is out of range, not "not an integer".
    expect(() => parseProcessArgs(['a', '--max-body-bytes', '99999999999999999999'])).toThrow(/--max-body-bytes must be an integer from 1 to 9007199254740991, got '99999999999999999999'/);
    // `new Date('1')` is 2001-01-01: a --now that is no date is refused, not read as one.
    for (const bad of ['1', '2025', 'tomorrow', '01/02/2025', '2025-01-02T03:04:05', '2025-01-02 03:04:05Z']) expect(() => parseProcessArgs(['a', '--now', bad]), bad).toThrow(/--now must be an ISO 8601 date or a time with its zone/);
    for (const [good, iso] of [['2025-01-02', '2025-01-02T00:00:00.000Z'], ['2025-01-02T03:04:05+02:00', '2025-01-02T01:04:05.000Z'], ['2025-01-02T03:04:05.5Z', '2025-01-02T03:04:05.500Z']] as const)
      expect((parseProcessArgs(['a', '--now', good]) as { now: Date }).now.toISOString(), good).toBe(iso);
  });

  it('generate names the flag the user typed in every error, before writing anything', async () => {
    const { run } = await COMMANDS.generate();
    const cases: [string[], RegExp][] = [
      [['--type', 'nope'], /^sift generate: --type: Invalid option/],
      [['--type', 'syslog', '--count', 'abc'], /^sift generate: --count must be a number, got 'abc'\n\nusage: sift generate/],
      [['--type', 'syslog', '--count', '0'], /^sift generate: --count: Too small/],
      [['--type', 'syslog', '--syslog-protocol', 'x'], /^sift generate: --syslog-protocol: Invalid option/],
      [['--type', 'syslog', '--format', 'eventhub'], /^sift generate: --format: format eventhub is not available for syslog/],
      // Refusals after the schema check (planning for the log type) are usage errors too: they printed no usage.
      [['--type', 'windows', '--count', '10', '--scenarios', 'all'], /^sift generate: --count: count 10 is too small for scenarios [^\n]*\n\nusage: sift generate/],
      [['--type', 'syslog', '--no-pri'], /^sift generate: --no-pri: pri:false applies to RFC 3164 only[^\n]*\n\nusage: sift generate/],
      // The flag the user typed, not the other flag of the same request field.
      [['--type', 'cef', '--no-pri'], /^sift generate: --no-pri: syslog options apply to logType syslog only, not cef\n/],
      [['--type', 'cef', '--syslog-protocol', 'rfc3164'], /^sift generate: --syslog-protocol: syslog options apply to logType syslog only, not cef\n/],
      [['--type', 'aks-audit', '--format', 'csv'], /^sift generate: --format: [^\n]*\n\nusage: sift generate/],
      // A missing --type said "Invalid option: expected one of …".
      [['--count', '5'], /^sift generate: --type is required\n\nusage: sift generate/],
      // One message per problem: a malformed --start was also said to fall outside 1970-2199.
      [['--type', 'syslog', '--start', '2023-13-01'], /^sift generate: --start: Invalid ISO datetime\n\nusage: sift generate/],
      [['--type', 'syslog', '--rate', '0'], /^sift generate: --rate: Too small[^\n]*\n\nusage: sift generate/],
      // Blob output writes its own data and labels.json: --out and --labels were silently ignored.
      [['--type', 'syslog', '--azurite', '--labels', 'l.json'], /^sift generate: --labels cannot be used with --azurite: [^\n]*\n\nusage: sift generate/],
      [['--type', 'syslog', '--blob', '--out', 'f', '--labels', 'l'], /^sift generate: --out and --labels cannot be used with --blob: it writes the data and labels\.json to Blob storage\n\nusage: sift generate/],
    ];
    for (const [argv, message] of cases) {
      err = '';
      expect(await run(argv), argv.join(' ')).toBe(2);
      expect(err).toMatch(message);
    }
    expect(out).toBe('');
    // An --out it cannot open is a message and exit 1 (it was an unhandled 'error' event).
    err = '';
    expect(await run(['--type', 'syslog', '--count', '3', '--out', '/nonexistent-dir/x.log'])).toBe(1);
    expect(err).toMatch(/^sift generate: cannot write \/nonexistent-dir\/x\.log: ENOENT/);
  });

  it('kql --list lists every command; --raw-landing adds the raw table', async () => {
    const { run } = await COMMANDS.kql();
    expect(await run(['--list', '--raw-landing'])).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(databaseCommands({ rawLanding: true }).length);
    expect(out).toMatch(/AksDiagnosticsRaw/);
    expect(await run(['--list', 'extra'])).toBe(2);
    expect(err).toMatch(/^sift kql: unexpected argument 'extra'/);
  });

  it('kql --create-database without --apply is a usage error (it printed another script: no materialized views)', async () => {
    const { run } = await COMMANDS.kql();
    for (const argv of [['--create-database'], ['--create-database', '--list'], ['--create-database', '--out', 'x.kql']]) {
      err = '';
      expect(await run(argv), argv.join(' ')).toBe(2);
      expect(err).toMatch(/^sift kql: --create-database needs --apply\n\nusage: npm run kql/);
    }
    expect(out).toBe('');
  });

  it('config prints the settings table; -h is help', async () => {
    const { run } = await COMMANDS.config();
    expect(await run([])).toBe(0);
    expect(out).toBe(settingsTable() + '\n');
    out = '';
    expect(await run(['-h'])).toBe(0);
    expect(out).toMatch(/^usage: sift config \[--check\]/);
  });

  it('a failure without a message is still described (a refused connection printed "sift: " alone)', () => {
    const refused = new AggregateError([Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5671'), { code: 'ECONNREFUSED' }), Object.assign(new Error('connect ECONNREFUSED ::1:5671'), { code: 'ECONNREFUSED' })], '');
    expect(describeError(refused)).toBe('connect ECONNREFUSED 127.0.0.1:5671; connect ECONNREFUSED ::1:5671');
    expect(describeError(Object.assign(new Error(''), { code: 'ETIMEDOUT' }))).toBe('ETIMEDOUT');
    expect(describeError(new TypeError(''))).toBe('TypeError');
    expect(describeError(new Error('plain'))).toBe('plain');
    expect(describeError('text')).toBe('text');
  });

  it('config --check reads the policy too (a broken one used to pass as OK)', async () => {
    const { run } = await COMMANDS.config();
    const saved = { p: process.env.KUBESIFT_POLICY, path: process.env.KUBESIFT_POLICY_PATH };
    const storageKeys = ['KUBESIFT_STORAGE_CONNECTION', 'KUBESIFT_STORAGE_ACCOUNT', 'AzureWebJobsStorage'] as const;
    const savedStorage = storageKeys.map((k) => process.env[k]);
    try {
      delete process.env.KUBESIFT_POLICY_PATH;
      for (const k of storageKeys) delete process.env[k];
      process.env.KUBESIFT_STORAGE_CONNECTION = 'UseDevelopmentStorage=true';
      process.env.KUBESIFT_POLICY = '{bad';
      expect(await run(['--check'])).toBe(1);
      expect(err).toMatch(/^policy: KUBESIFT_POLICY: not valid JSON/);
      err = '';
      process.env.KUBESIFT_POLICY = JSON.stringify({ exceptions: { 'Attach/Exec Pod': [{ 'cp.verb': ['GET'] }] } });
      expect(await run(['--check'])).toBe(1);
      expect(err).toMatch(/this rule reads ka\.\* fields only/);
      out = '';
      process.env.KUBESIFT_POLICY = '{"lists":{"allowedUsers":{"append":["ci"]}}}';
      expect(await run(['--check'])).toBe(0);
      expect(out).toMatch(/^configuration OK \(storage: KUBESIFT_STORAGE_CONNECTION, .*policy KUBESIFT_POLICY/);
      // A short webhook secret no longer stops the settings from loading, so --check names it.
      err = '';
      process.env.KUBESIFT_WEBHOOK_SECRET_FALCO = 'short';
      expect(await run(['--check'])).toBe(1);
      expect(err).toBe('KUBESIFT_WEBHOOK_SECRET_FALCO is shorter than 16 characters\n');
      delete process.env.KUBESIFT_WEBHOOK_SECRET_FALCO;
      // A connection string the storage SDK cannot parse fails here, naming the setting and
      // not echoing the string (it holds the key); it passed, then generate --blob said "Invalid URL".
      for (const bad of ['x', 'AccountName=acct;AccountKey=c2VjcmV0LWtleQ==']) {
        err = '';
        process.env.KUBESIFT_STORAGE_CONNECTION = bad;
        expect(await run(['--check'])).toBe(1);
        expect(err).toMatch(/^KUBESIFT_STORAGE_CONNECTION is not a usable storage connection string \(.+\): expected UseDevelopmentStorage=true or /);
        expect(err).not.toContain('c2VjcmV0LWtleQ');
      }
      // No storage at all: the settings load, but nothing could be dead-lettered or landed.
      err = '';
      delete process.env.KUBESIFT_STORAGE_CONNECTION;
      expect(await run(['--check'])).toBe(1);
      expect(err).toMatch(/^no storage configured: set KUBESIFT_STORAGE_CONNECTION .*dead letters.*KUBESIFT_SINK=blob/);
    } finally {
      storageKeys.forEach((k, i) => (savedStorage[i] === undefined ? delete process.env[k] : (process.env[k] = savedStorage[i])));
      delete process.env.KUBESIFT_WEBHOOK_SECRET_FALCO;
      if (saved.p === undefined) delete process.env.KUBESIFT_POLICY;
      else process.env.KUBESIFT_POLICY = saved.p;
      if (saved.path !== undefined) process.env.KUBESIFT_POLICY_PATH = saved.path;
    }
  });

  it('replay names the storage it could not read (host and container, never the key), with a hint', async () => {
    const { createServer } = await import('node:http');
    // Storage that refuses every request (403 is not retried): the error comes at once.
    const server = createServer((_req, res) => res.writeHead(403, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><Error><Code>AuthorizationFailure</Code><Message>nope</Message></Error>'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const saved = process.env.KUBESIFT_STORAGE_CONNECTION;
    const key = 'c2VjcmV0LWtleS1vZi10aGlzLWFjY291bnQ=';
    process.env.KUBESIFT_STORAGE_CONNECTION = `DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=${key};BlobEndpoint=http://127.0.0.1:${port}/acct;`;
    try {
      const { run } = await COMMANDS.replay();
      const e = await run([]).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toMatch(new RegExp(`^dead-letter container deadletter at 127\\.0\\.0\\.1:${port}: .*\\(KUBESIFT_STORAGE_CONNECTION / KUBESIFT_STORAGE_ACCOUNT; locally, is npm start or Azurite running\\?\\)$`));
      expect((e as Error).message).not.toContain(key);
    } finally {
      if (saved === undefined) delete process.env.KUBESIFT_STORAGE_CONNECTION;
      else process.env.KUBESIFT_STORAGE_CONNECTION = saved;
      server.close();
    }
  });

  it('replay reports a policy it cannot load as itself, not as a storage error', async () => {
    const saved = process.env.KUBESIFT_POLICY_PATH;
    process.env.KUBESIFT_POLICY_PATH = '/nonexistent/policy.json';
    try {
      const { run } = await COMMANDS.replay();
      const e = await run([]).then(() => undefined, (x: unknown) => x);
      expect((e as Error).message).toMatch(/KUBESIFT_POLICY_PATH \(\/nonexistent\/policy\.json\): cannot read/);
      expect((e as Error).message).not.toMatch(/dead-letter container/);
    } finally {
      if (saved === undefined) delete process.env.KUBESIFT_POLICY_PATH;
      else process.env.KUBESIFT_POLICY_PATH = saved;
    }
  });

  it('replay rejects a --prefix without a value before touching storage', async () => {
    const { run } = await COMMANDS.replay();
    expect(await run(['--dry-run', '--prefix'])).toBe(2);
    expect(err).toMatch(/^sift replay: Option '--prefix <value>' argument missing/);
  });
});

const root = path.resolve(import.meta.dirname, '..');
const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
/** A script of the repo run under tsx, as npm runs it. */
const script = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, ['--import', tsx, path.join(root, file), ...args], { encoding: 'utf8', timeout: 45_000, env });

describe('sift without a command', () => {
  const sift = (args: string[]) => script('scripts/sift.ts', args);

  it.each([
    [[], /^sift: a command is required\n\nusage: sift <command>/],
    [['bogus'], /^sift: unknown command 'bogus'\n\nusage: sift <command>/],
  ])('%j is a usage error: the reason and the usage on stderr, exit 2', (args, message) => {
    const r = sift(args);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  });

  it('--help prints the usage on stdout and exits 0', () => {
    const r = sift(['--help']);
    expect(r.stdout).toMatch(/^usage: sift <command>/);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('npm start and npm run bench read flags the same way', () => {
  // Both scripts check their flags before starting Azurite or building anything.

  it.each([
    ['scripts/local.ts', ['--port', '70000'], /^npm start: --port must be an integer from 0 to 65535, got '70000'\n\nusage: npm start/],
    ['scripts/local.ts', ['--bogus'], /^npm start: unknown option --bogus\n/],
    ['scripts/local.ts', ['--count', '1000001'], /^npm start: --count must be an integer from 1 to 1000000, got '1000001'\n\nusage: npm start/],
    ['scripts/bench.ts', ['--runs', 'x'], /^npm run bench: --runs must be an integer >= 1, got 'x'\n\nusage: npm run bench/],
    ['scripts/bench.ts', ['--only', 'throughput,gpu'], /^npm run bench: --only takes throughput, generators, imports; got 'throughput,gpu'/],
  ])('%s %j exits 2 with the reason and the usage', (file, args, message) => {
    const r = script(file, args);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });

  it.each(['scripts/local.ts', 'scripts/bench.ts'])('%s --help prints the usage and exits 0', (file) => {
    const r = script(file, ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm (start|run bench)/);
  });
});

describe('npm run start:func without the Core Tools', () => {
  it('says where to get them and that npm start runs without them (the shell said "func: not found")', () => {
    const r = script('scripts/funcStart.ts', [], { ...process.env, PATH: path.join(root, 'no-such-dir') });
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/^npm run start:func: the Azure Functions Core Tools \(`func`, v4\) are not installed or not on PATH\.\n[^]*docs\/local\.md[^]*`npm start`/);
  });
});
