// sift process: Event Hub bodies (or raw audit events) → normalized rows, detections and
// dead letters as JSON lines, through exactly the pipeline the Event Hub function runs
// (functions/pipeline.ts processEventChunks, chunk by chunk as the trigger). Streams its
// input: JSONL is split into lines as bytes (so invalid UTF-8 reaches the envelope and is
// dead-lettered with the exact bytes) and processed in batches, so 100k+ records never sit
// in memory twice.
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import type { BatchResult, EventInput, PipelineTable } from '../../functions/contracts.js';
import type { Policy } from '../../functions/detect/index.js';
import { DEFAULT_MAX_BODY_BYTES } from '../../functions/envelope/index.js';
import { processEventChunks } from '../../functions/pipeline.js';
import { intFlag, parseCommandLine, usageError, UsageError } from './args.js';
import { CLUSTER_NAME_RULE, clusterName } from '../../functions/webhooks/cluster.js';
import { inputEvents, openInput } from './bodyInput.js';
import { commandPolicy, POLICY_OPTIONS, POLICY_USAGE } from './policyArgs.js';

export { byteLines } from './bodyInput.js';

const USAGE = `usage: sift process <file|-> [--format eventhub|audit] [--policy FILE] [--profile aks|falco]
                    [--cluster NAME] [--now ISO] [--batch-size N] [--max-body-bytes N]

Input (auto-detected):
  eventhub (default)  one JSON body, a JSON array of bodies, or JSONL (one body per line).
                      A body is {"records":[...]} as AKS diagnostic settings send it, one
                      diagnostic record, or an audit Event / EventList / array of events.
  audit               one audit.k8s.io Event or EventList per line (a kube-apiserver audit
                      log file); anything else is dead-lettered.
Output: JSON lines on stdout
  {"table":"AksAudit"|"AksControlPlane"|"Detections","row":{...}}   per row
  {"deadLetter":{"reason":"...","detail":"...","position":{...}}}   per dead letter
  {"summary":{"records":N,"rows":{...},"detections":N,"deadLetters":N,"duplicates":N}}   last
Options:
${POLICY_USAGE}
  --cluster NAME      cluster for events without a resourceId, lower-cased (default unknown)
  --now ISO           detection clock: a date (UTC midnight) or a time with its zone (default: now)
  --batch-size N      bodies per pipeline batch (default: host.json maxEventBatchSize, ${hostBatchSize()})
  --max-body-bytes N  larger bodies are dead-lettered (default ${DEFAULT_MAX_BODY_BYTES})
Exit 0 when the input was read (even with dead letters), 1 when it cannot be read or stdout
cannot be written, 2 on usage errors.
`;

export interface ProcessOptions {
  input: string;
  format: 'eventhub' | 'audit';
  policy: Policy;
  defaultCluster: string;
  now?: Date;
  batchSize: number;
  maxBodyBytes: number;
}

/** The Event Hub trigger's batch size (host.json maxEventBatchSize): the CLI batches like the host. */
export function hostBatchSize(): number {
  try {
    const host = JSON.parse(readFileSync(new URL('../../host.json', import.meta.url), 'utf8')) as { extensions?: { eventHubs?: { maxEventBatchSize?: unknown } } };
    const n = host.extensions?.eventHubs?.maxEventBatchSize;
    return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** Options from the command line; a bad one throws UsageError naming it. */
export function parseProcessArgs(argv: string[]): ProcessOptions | 'help' {
  const parsed = parseCommandLine(
    argv,
    {
      format: { type: 'string', default: 'eventhub' },
      ...POLICY_OPTIONS,
      cluster: { type: 'string', default: 'unknown' },
      now: { type: 'string' },
      'batch-size': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (parsed === 'help') return 'help';
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('expected exactly one input: a file path or - for stdin');
  const format = values.format;
  if (format !== 'eventhub' && format !== 'audit') throw new UsageError(`--format must be eventhub or audit, got ${format}`);
  const batchSize = intFlag(values['batch-size'], 'batch-size', hostBatchSize());
  const maxBodyBytes = intFlag(values['max-body-bytes'], 'max-body-bytes', DEFAULT_MAX_BODY_BYTES);
  let now: Date | undefined;
  if (values.now !== undefined) {
    // A date first (`new Date('1')` is 2001-01-01): YYYY-MM-DD (UTC midnight), or a time with
    // its zone (without one, Date reads it in the machine's own zone).
    now = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?$/.test(values.now.trim()) ? new Date(values.now.trim()) : new Date(NaN);
    if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be an ISO 8601 date or a time with its zone (2025-01-02, 2025-01-02T03:04:05Z), got '${values.now}'`);
  }
  // Lower-cased as every source's cluster name is: `Prod-East` and `prod-east` are one cluster.
  const cluster = clusterName(values.cluster);
  if (cluster === null) throw new UsageError(`--cluster must be ${CLUSTER_NAME_RULE} (upper case is lowered), got '${values.cluster}'`);
  return {
    input: positionals[0]!,
    format,
    policy: commandPolicy(values),
    defaultCluster: cluster,
    now,
    batchSize,
    maxBodyBytes,
  };
}


/**
 * Buffered JSON-lines writer that honours backpressure. A write error closes it: EPIPE (the
 * reader has gone, as with `| head`) quietly, anything else is kept in `error` for the exit
 * code (rethrowing it from the 'error' listener crashed with a stack trace).
 */
class LineWriter {
  private buf = '';
  closed = false;
  error: NodeJS.ErrnoException | undefined;
  constructor(private readonly out: Writable) {
    out.on('error', (err: NodeJS.ErrnoException) => this.fail(err));
  }
  private fail(err: NodeJS.ErrnoException): void {
    if (err.code !== 'EPIPE' && !this.closed) this.error ??= err;
    this.closed = true;
  }
  line(s: string): void {
    this.buf += s + '\n';
  }
  async flush(force = false): Promise<void> {
    if (this.closed) {
      this.buf = '';
      return;
    }
    if (!force && this.buf.length < 1 << 20) return;
    const chunk = this.buf;
    this.buf = '';
    // Wait until the stream has taken the chunk (or closed): backpressure, and a failed write
    // is known before the next one and before the exit code, its callback coming first.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.out.off('close', done);
        resolve();
      };
      this.out.on('close', done);
      this.out.write(chunk, (err) => {
        if (err) this.fail(err);
        done();
      });
    });
  }
}

const TABLES: readonly ('AksAudit' | 'AksControlPlane')[] = ['AksAudit', 'AksControlPlane'];

interface Totals {
  records: number;
  rows: Record<PipelineTable, number>;
  detections: number;
  deadLetters: number;
  duplicates: number;
}

function emit(result: BatchResult, w: LineWriter, totals: Totals): void {
  for (const table of TABLES) {
    const prefix = `{"table":"${table}","row":`;
    for (const row of result.rows[table]) w.line(prefix + JSON.stringify(row) + '}');
  }
  for (const d of result.detections) w.line('{"table":"Detections","row":' + JSON.stringify(d) + '}');
  for (const dl of result.deadLetters) w.line(JSON.stringify({ deadLetter: { reason: dl.reason, detail: dl.detail, position: dl.position, category: dl.category } }));
  const s = result.summary;
  totals.records += s.records;
  totals.rows.AksAudit += result.rows.AksAudit.length;
  totals.rows.AksControlPlane += result.rows.AksControlPlane.length;
  totals.rows.Detections += result.detections.length;
  totals.detections += s.detections;
  totals.deadLetters += s.deadLetters;
  totals.duplicates += s.duplicates;
}

/** Run the pipeline over the input and write JSON lines. Returns the exit code. */
export async function processInput(opts: ProcessOptions, stdin: Readable, out: Writable, err: Writable): Promise<number> {
  let stream: Readable;
  let source = 'stdin';
  if (opts.input === '-') stream = stdin;
  else {
    source = 'file';
    try {
      const st = await stat(opts.input);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (e) {
      err.write(`sift process: cannot read ${opts.input}: ${(e as Error).message}\n`);
      return 1;
    }
    stream = createReadStream(opts.input);
  }
  const w = new LineWriter(out);
  const totals: Totals = { records: 0, rows: { AksAudit: 0, AksControlPlane: 0, Detections: 0 }, detections: 0, deadLetters: 0, duplicates: 0 };
  // No batch record limit: the CLI has no replay for bodies set aside, and its memory is the
  // user's to size (--batch-size).
  const pipelineOpts = { policy: opts.policy, now: opts.now, defaultCluster: opts.defaultCluster, maxBodyBytes: opts.maxBodyBytes, accept: opts.format === 'audit' ? ('audit' as const) : ('any' as const), maxBatchRecords: Infinity };
  let batch: EventInput[] = [];
  const run = async (): Promise<void> => {
    // Chunk by chunk, as the AKS trigger lands a batch: the same rows, dedupe and detections.
    for (const { result } of processEventChunks(batch, pipelineOpts)) emit(result, w, totals);
    batch = [];
    await w.flush();
  };
  try {
    for await (const ev of inputEvents(await openInput(stream), source)) {
      batch.push(ev);
      if (batch.length >= opts.batchSize) await run();
      if (w.closed) break;
    }
    if (batch.length) await run();
  } catch (e) {
    err.write(`sift process: cannot read ${opts.input === '-' ? 'stdin' : opts.input}: ${(e as Error).message}\n`);
    return 1;
  }
  w.line(JSON.stringify({ summary: totals }));
  await w.flush(true);
  if (w.error) {
    err.write(`sift process: cannot write stdout: ${w.error.message}\n`);
    return 1;
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  let opts: ProcessOptions | 'help';
  try {
    opts = parseProcessArgs(argv);
  } catch (e) {
    return usageError('sift process', USAGE, (e as Error).message);
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  return processInput(opts, process.stdin, process.stdout, process.stderr);
}
