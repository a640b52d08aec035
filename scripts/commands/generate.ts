// sift generate: write a seeded synthetic dataset to a file or stdout, no server needed.
// The same request schema as POST /api/datasets validates the options.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { DatasetRequest, GENERATORS, labelsFile, PlanError, resolveRequest, writeDataset, LOG_TYPES, type ResolvedRequest } from '../../functions/generate/index.js';
import { numFlag, parseCommandArgs, UsageError } from './args.js';
import { missingField } from '../../functions/http/issues.js';

const USAGE = `usage: sift generate --type <logType> [--count N] [--seed S] [--format raw|csv|jsonl|eventhub]
                     [--scenarios a,b|all] [--start ISO] [--end ISO | --rate R]
                     [--syslog-protocol rfc5424|rfc3164] [--no-pri] [--out file|-] [--labels file]
                     [--blob | --azurite]

Writes the dataset to --out (default stdout) and, with --labels, the ground-truth labels JSON.
--blob streams it gzip'd to Blob storage instead (KUBESIFT_STORAGE_CONNECTION / _ACCOUNT,
container KUBESIFT_DATASETS_CONTAINER) with labels.json beside it, exactly as POST /api/datasets;
--azurite does the same against a throw-away in-memory Azurite (for measurements).
A summary (records, bytes, sha256 of the uncompressed output, records/s, peak RSS) goes to stderr.

log types:
${LOG_TYPES.map((t) => `  ${t.name.padEnd(16)} ${t.formats.join('|').padEnd(22)} scenarios: ${t.scenarios.map((s) => s.name).join(', ') || '-'}`).join('\n')}
`;

/** The request fields the flags fill, by flag (the API's field names differ in places). */
const FLAG_OF: Readonly<Record<string, string>> = { logType: '--type', count: '--count', seed: '--seed', format: '--format', scenarios: '--scenarios', start: '--start', end: '--end', rate: '--rate', syslog: '--syslog-protocol', 'syslog.pri': '--no-pri' };

/**
 * A schema-checked request, planned for its log type: every refusal is a UsageError naming the
 * flag the user typed. `flags` overrides FLAG_OF where one field has two flags (the syslog
 * object is filled by --syslog-protocol and --no-pri).
 */
function planRequest(body: Record<string, unknown>, flags: Readonly<Record<string, string>> = {}): ResolvedRequest {
  const flag = (field: string): string => flags[field] ?? FLAG_OF[field] ?? field;
  const parsed = DatasetRequest.safeParse(JSON.parse(JSON.stringify(body)), { error: missingField });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => (i.path.length ? `${flag(String(i.path[0]))}: ${i.message}` : i.message)).join('\n'));
  try {
    return resolveRequest(parsed.data);
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(`${flag(err.field)}: ${err.message}`);
    throw err;
  }
}

/** --blob/--azurite name their own blobs and write labels.json beside the data: --out and --labels would be ignored. */
function refuseLocalOutput(v: { blob?: boolean; azurite?: boolean; out?: string; labels?: string }): void {
  const to = v.azurite ? '--azurite' : v.blob ? '--blob' : undefined;
  const local = [v.out === undefined ? '' : '--out', v.labels === undefined ? '' : '--labels'].filter(Boolean);
  if (to && local.length) throw new UsageError(`${local.join(' and ')} cannot be used with ${to}: it writes the data and labels.json to Blob storage`);
}

/**
 * stdout or the --out file as writeDataset's sink. A failed write (EPIPE once `| head` has
 * what it wants, ENOSPC on a full disk) is kept in `failure` and fails this sink too, so
 * writeDataset rejects at once instead of waiting for a 'drain' that never comes, and the
 * target's 'error' event is handled (unhandled, it crashed with a stack trace).
 */
class OutputSink extends Writable {
  failure: NodeJS.ErrnoException | undefined;
  constructor(private readonly target: Writable) {
    super();
    target.on('error', (e: NodeJS.ErrnoException) => (this.failure ??= e));
    // writeDataset learns of it through once('drain') or its last write's callback.
    this.on('error', () => undefined);
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.target.write(chunk, (err) => {
      if (err) this.failure ??= err;
      cb(err);
    });
  }
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs('sift generate', USAGE, argv, {
    type: { type: 'string', short: 't' },
    count: { type: 'string', short: 'n' },
    seed: { type: 'string', short: 's' },
    format: { type: 'string', short: 'f' },
    scenarios: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    rate: { type: 'string' },
    'syslog-protocol': { type: 'string' },
    'no-pri': { type: 'boolean' },
    out: { type: 'string', short: 'o' },
    labels: { type: 'string' },
    blob: { type: 'boolean' },
    azurite: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, {
    check: ({ values }) => {
      // Without this zod says "Invalid option: expected one of …", as if a type had been given.
      if (values.type === undefined) throw new UsageError('--type is required');
      refuseLocalOutput(values);
      // The flags as a POST /api/datasets body, checked by the same schema.
      return planRequest({
        logType: values.type,
        count: numFlag(values.count, 'count'),
        seed: numFlag(values.seed, 'seed'),
        format: values.format,
        scenarios: values.scenarios ? values.scenarios.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
        start: values.start,
        end: values.end,
        rate: numFlag(values.rate, 'rate'),
        syslog: values['syslog-protocol'] || values['no-pri'] ? { protocol: values['syslog-protocol'], pri: !values['no-pri'] } : undefined,
      }, { syslog: values['syslog-protocol'] === undefined ? '--no-pri' : '--syslog-protocol' });
    },
  });
  if (typeof args === 'number') return args;
  const { values, checked: req } = args;
  if (values.blob || values.azurite) return toBlob(req, values.azurite === true);
  const file = values.out && values.out !== '-' ? values.out : undefined;
  let target: Writable = process.stdout;
  if (file) {
    // Open before generating: a bad path is a message and exit 1, not an unhandled 'error' event.
    const stream = createWriteStream(file);
    try {
      await once(stream, 'open');
    } catch (e) {
      process.stderr.write(`sift generate: cannot write ${file}: ${(e as Error).message}\n`);
      return 1;
    }
    target = stream;
  }
  const sink = new OutputSink(target);
  const t0 = process.hrtime.bigint();
  const summary = await writeDataset(req, sink).catch((e: unknown) => {
    if (!sink.failure) throw e;
  });
  if (summary && file) await new Promise<void>((resolve) => target.end(() => resolve()));
  if (!summary || sink.failure) {
    const failure = sink.failure!; // no summary only when a write failed
    // The reader of stdout has gone (`| head -1`): it has what it wanted, as with `sift process`.
    if (!file && failure.code === 'EPIPE') return 0;
    process.stderr.write(`sift generate: cannot write ${file ?? 'stdout'}: ${failure.message}\n`);
    return 1;
  }
  if (values.labels) await writeFile(values.labels, JSON.stringify(labelsFile(req, summary), null, 2) + '\n');
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stderr.write(
    `${req.logType} ${req.format}: ${summary.events} events, ${summary.records} records, ${summary.bytes} bytes, sha256 ${summary.sha256}, ` +
      `${sec.toFixed(2)} s (${Math.round(summary.records / sec)} records/s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB)` +
      (summary.labels.length ? `, labels: ${summary.labels.map((l) => `${l.scenario}(${l.recordIds.length})`).join(' ')}` : '') +
      '\n',
  );
  return 0;
}

/** Stream to Blob storage the way the HTTP API does; with `azurite`, against a fresh in-memory one. */
async function toBlob(req: ResolvedRequest, azurite: boolean): Promise<number> {
  const [{ loadConfig }, { blobServiceFor }, { writeDatasetToBlob }, { TimeFormat }] = await Promise.all([
    import('../../functions/config.js'),
    import('../../functions/land/clients.js'),
    import('../../functions/generate/blob.js'),
    import('../../functions/generate/time.js'),
  ]);
  const az = azurite ? await (await import('../azurite.js')).startAzurite() : null;
  try {
    const config = loadConfig(az ? { ...process.env, KUBESIFT_STORAGE_CONNECTION: az.connectionString } : process.env);
    const container = blobServiceFor(config).getContainerClient(config.KUBESIFT_DATASETS_CONTAINER);
    const ext = GENERATORS[req.logType]!.encoder(req.format, req, new TimeFormat()).extension;
    const t0 = process.hrtime.bigint();
    const out = await writeDatasetToBlob(container, req, ext);
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    const s = out.summary;
    process.stdout.write(`${out.dataUrl}\n${out.labelsUrl}\n`);
    process.stderr.write(
      `${req.logType} ${req.format} → blob: ${s.records} records, ${s.bytes} bytes (${out.compressedBytes} gzip), sha256 ${s.sha256}, ` +
        `${sec.toFixed(2)} s (${Math.round(s.records / sec)} records/s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB)\n`,
    );
    return 0;
  } finally {
    await az?.stop();
  }
}
