// sift generate: write a seeded synthetic dataset to a file or stdout, no server needed.
// The same request schema as POST /api/datasets validates the options.
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { DatasetRequest, GENERATORS, labelsFile, PlanError, resolveRequest, writeDataset, LOG_TYPES, type ResolvedRequest } from '../../functions/generate/index.js';
import { parseCommandArgs } from './args.js';

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
  });
  if (typeof args === 'number') return args;
  const { values } = args;
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const body = {
    logType: values.type,
    count: num(values.count),
    seed: num(values.seed),
    format: values.format,
    scenarios: values.scenarios ? values.scenarios.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    start: values.start,
    end: values.end,
    rate: num(values.rate),
    syslog: values['syslog-protocol'] || values['no-pri'] ? { protocol: values['syslog-protocol'], pri: !values['no-pri'] } : undefined,
  };
  const parsed = DatasetRequest.safeParse(JSON.parse(JSON.stringify(body)));
  if (!parsed.success) {
    process.stderr.write(`sift generate: ${z.prettifyError(parsed.error)}\n\n${USAGE}`);
    return 2;
  }
  let req;
  try {
    req = resolveRequest(parsed.data);
  } catch (err) {
    if (err instanceof PlanError) {
      process.stderr.write(`sift generate: ${err.field}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (values.blob || values.azurite) return toBlob(req, values.azurite === true);
  const toStdout = !values.out || values.out === '-';
  const sink: Writable = toStdout ? process.stdout : createWriteStream(values.out as string);
  const t0 = process.hrtime.bigint();
  const summary = await writeDataset(req, sink);
  if (!toStdout) await new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));
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
