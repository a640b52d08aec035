// The HTTP API of the generator as plain functions of (body, config, container): the
// trigger file only binds them. Bad input → 400 with the field named.
import { Readable } from 'node:stream';
import { BlobSASPermissions, RestError, StorageSharedKeyCredential, type BlobDownloadResponseParsed, type ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { IngestBlobRequest } from '../land/ingestBlob.js';
import { errorText } from '../errorText.js';
import { storagePlace } from '../land/storagePlace.js';
import { dataFileName, LABELS_FILE, writeDatasetToBlob } from './blob.js';
import { GENERATORS, logTypeDef, logTypes, PlanError, resolveRequest, type LogTypeInfo } from './index.js';
import { datasetRequestSchema, LOG_TYPE_NAMES, requestHash, type LogTypeName, type ResolvedRequest } from './request.js';
import { TimeFormat } from './time.js';
import { datasetIngestCommand, ingestShape, tableInfo, type TableInfo } from './schema.js';
import { missingField } from '../http/issues.js';
import { BODY_FIELD } from '../http/body.js';

export interface ApiResponse {
  status: number;
  body: unknown;
}

/** Queues one blob into ADX: the landing code's ingestFromBlob (functions/land/ingestBlob.ts). */
export type IngestFn = (config: Config, args: IngestBlobRequest) => Promise<{ ingestionId: string }>;

/** How long ADX may take to pick a queued dataset up (the SAS lifetime). */
const INGEST_SAS_HOURS = 48;

/**
 * A URL the cluster can read: with an account key (connection string) a read-only SAS on
 * the one blob; otherwise the plain URL, which the landing code marks for the cluster's
 * managed identity in Azure. The SAS goes only into the queue message, never the response.
 */
async function ingestionUrl(container: ContainerClient, blob: string): Promise<string> {
  const client = container.getBlobClient(blob);
  if (!(client.credential instanceof StorageSharedKeyCredential)) return client.url;
  return client.generateSasUrl({ permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + INGEST_SAS_HOURS * 3_600_000) });
}

export function badRequest(error: string, field: string, issues?: unknown): ApiResponse {
  return { status: 400, body: { error, field, ...(issues ? { issues } : {}) } };
}

/** The field an issue is about: its path, or for unknown keys the first key zod rejected. */
function issueField(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return BODY_FIELD;
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0] as string);
  return path.join('.') || BODY_FIELD;
}

function zodError(err: z.ZodError): ApiResponse {
  const first = err.issues[0];
  const field = issueField(first);
  return badRequest(first ? `${field}: ${first.message}` : 'invalid body', field, err.issues);
}

/**
 * The log types, and the deployment's defaults a form needs: `ingest` is what a request that
 * omits it gets (KUBESIFT_INGEST_DATASETS), so the page can start from it instead of overriding it.
 */
export function getLogTypes(config: Pick<Config, 'KUBESIFT_INGEST_DATASETS'>): ApiResponse {
  return { status: 200, body: { logTypes: logTypes(), defaults: { ingest: config.KUBESIFT_INGEST_DATASETS } } };
}

export function getSchema(logType: string): ApiResponse {
  if (!(LOG_TYPE_NAMES as readonly string[]).includes(logType)) return { status: 404, body: { error: `unknown log type ${JSON.stringify(logType.slice(0, 40))}`, field: 'logType' } };
  const def = logTypeDef(logType as LogTypeName);
  const info: LogTypeInfo | undefined = logTypes().find((t) => t.name === logType);
  return { status: 200, body: { logType, ...info, tableInfo: tableInfo(def), note: def.table ? undefined : 'AKS datasets are Event Hub bodies: send them through the pipeline (sift send), which lands AksAudit / AksControlPlane rows' } };
}

export interface DatasetResponse {
  request: ResolvedRequest;
  requestHash: string;
  /** Where the files are in storage (private: the account takes no anonymous reads). */
  blobs: { data: string; labels: string };
  /** The same files through the app: GET /api/<path> (getDatasetFile), with the function key. */
  downloads: { data: string; labels: string };
  compression: 'gzip';
  contentType: string;
  events: number;
  rows: number;
  bytes: { uncompressed: number; compressed: number };
  sha256: { value: string; of: 'uncompressed content' };
  labels: { scenario: string; technique: string; records: number }[];
  table: TableInfo | null;
  ingestCommand: string | null;
  ingestion: { queued: boolean; ingestionId?: string; reason?: string };
}

/**
 * Why `ingest: true` cannot be honoured for this request, or null. POST /api/datasets and the
 * page's preview both answer it as a 400 naming `ingest`, before anything is written.
 * `canQueue`: the deployment has an ingest endpoint (and a client to reach it).
 */
export function ingestRefusal(req: ResolvedRequest, ingest: boolean | undefined, canQueue: boolean): { error: string; field: 'ingest' } | null {
  if (ingest !== true) return null;
  const def = logTypeDef(req.logType);
  if (!(def.table && ingestShape(def.table.name, req.format)))
    return { error: def.table ? `format ${req.format} is not table rows: use csv or jsonl to ingest` : `${req.logType} datasets go through the Event Hub pipeline, not direct ingestion`, field: 'ingest' };
  if (!canQueue) return { error: 'this deployment has no ADX ingestion endpoint (KUBESIFT_KUSTO_INGEST_URL)', field: 'ingest' };
  return null;
}

/** The download route of a blob of the datasets container (`<logType>/<hash>/<file>`): see getDatasetFile. */
const downloadPath = (blob: string): string => `datasets/${blob}`;

/** 502 naming the storage (container and host; never a key or SAS) that failed, and why. */
function storageFailed(what: string, container: ContainerClient, err: RestError): ApiResponse {
  return { status: 502, body: { error: `could not ${what} Blob storage (${storagePlace(container)}): ${errorText(err)}` } };
}

/**
 * `containerFor` is called once the request is valid: a bad request is answered without a
 * storage client, and a deployment with no storage configured says so (503) instead of failing.
 */
export async function postDataset(body: unknown, config: Config, containerFor: () => ContainerClient, ingest?: IngestFn): Promise<ApiResponse> {
  const parsed = datasetRequestSchema(config.KUBESIFT_DATASET_MAX_COUNT).safeParse(body, { error: missingField });
  if (!parsed.success) return zodError(parsed.error);
  let req: ResolvedRequest;
  try {
    req = resolveRequest(parsed.data);
  } catch (err) {
    if (err instanceof PlanError) return badRequest(err.message, err.field);
    throw err;
  }
  const def = GENERATORS[req.logType]!;
  const wantIngest = parsed.data.ingest ?? config.KUBESIFT_INGEST_DATASETS;
  const shape = def.table ? ingestShape(def.table.name, req.format) : null;
  const canQueue = ingest !== undefined && !!config.KUBESIFT_KUSTO_INGEST_URL;
  const refusal = ingestRefusal(req, parsed.data.ingest, canQueue);
  if (refusal) return badRequest(refusal.error, refusal.field);

  let container: ContainerClient;
  try {
    container = containerFor();
  } catch (err) {
    return { status: 503, body: { error: `no dataset storage: ${errorText(err)}` } };
  }
  const enc = def.encoder(req.format, req, new TimeFormat());
  let out: Awaited<ReturnType<typeof writeDatasetToBlob>>;
  try {
    out = await writeDatasetToBlob(container, req, enc.extension);
  } catch (err) {
    // Storage refused or could not be reached: say which, as the detections view does (a bare 500 said nothing).
    if (err instanceof RestError) return storageFailed('write the dataset to', container, err);
    throw err;
  }
  const s = out.summary;
  // Same tag in the shown command and the queued ingestion: ingestIfNotExists makes
  // re-posting the same request (same bytes) a no-op in ADX.
  const tag = `dataset:${requestHash(req)}`;
  const table = tableInfo(def);
  const ingestCommand = def.table ? datasetIngestCommand(def.table.name, req.format, out.dataUrl, tag) : null;

  let ingestion: DatasetResponse['ingestion'] = { queued: false };
  if (wantIngest && !(shape && def.table)) ingestion = { queued: false, reason: `${req.logType} ${req.format} is not ingestible (csv/jsonl of a table type only)` };
  else if (wantIngest && !canQueue) ingestion = { queued: false, reason: 'no ADX ingestion endpoint configured (KUBESIFT_KUSTO_INGEST_URL)' };
  else if (wantIngest && shape && def.table && ingest) {
    try {
      const { ingestionId } = await ingest(config, {
        blobUri: await ingestionUrl(container, out.dataBlob), table: def.table.name, format: shape.format, mappingName: shape.mappingName,
        rawSizeBytes: s.bytes, tags: [`ingest-by:${tag}`, 'kubesift:dataset'], ignoreFirstRecord: shape.format === 'csv',
      });
      ingestion = { queued: true, ingestionId };
    } catch (err) {
      // The blob is written and named by the request: say so, so a retry (or the shown command) can finish the job.
      return {
        status: 502,
        body: { error: `dataset written but queuing it into ADX failed: ${errorText(err)}`, field: 'ingest', blobs: { data: out.dataUrl, labels: out.labelsUrl }, downloads: { data: downloadPath(out.dataBlob), labels: downloadPath(out.labelsBlob) }, ingestCommand },
      };
    }
  }

  const res: DatasetResponse = {
    request: req,
    requestHash: requestHash(req),
    blobs: { data: out.dataUrl, labels: out.labelsUrl },
    downloads: { data: downloadPath(out.dataBlob), labels: downloadPath(out.labelsBlob) },
    compression: 'gzip',
    contentType: s.contentType,
    events: s.events,
    rows: s.records,
    bytes: { uncompressed: s.bytes, compressed: out.compressedBytes },
    sha256: { value: s.sha256, of: 'uncompressed content' },
    labels: s.labels.map((l) => ({ scenario: l.scenario, technique: l.technique, records: l.recordIds.length })),
    table,
    ingestCommand,
    ingestion,
  };
  return { status: 200, body: res };
}

/** A file of a dataset, streamed from the datasets container. */
export interface FileResponse {
  status: 200;
  headers: Record<string, string>;
  body: Readable;
}

const HASH = /^[0-9a-f]{16}$/;
const fileNames = new Map<LogTypeName, readonly string[]>();

/** The file names the generator writes into a folder of this log type: one data file per format, and the labels. */
export function datasetFileNames(logType: LogTypeName): readonly string[] {
  let names = fileNames.get(logType);
  if (!names) {
    const def = logTypeDef(logType);
    const schema = datasetRequestSchema();
    const data = def.formats.map((format) => dataFileName(def.encoder(format, resolveRequest(schema.parse({ logType, format, count: 1 })), new TimeFormat()).extension));
    names = [...new Set(data), LABELS_FILE];
    fileNames.set(logType, names);
  }
  return names;
}

/**
 * GET /api/datasets/{logType}/{hash}/{file}: a dataset's data or labels file through the app,
 * which reads storage with its own identity (the container is private). Only names the
 * generator writes are read: each route value is checked against them, never joined blindly
 * into a blob name. 400 names the bad parameter; 404 when the dataset was not generated.
 */
export async function getDatasetFile(params: Readonly<Record<string, string | undefined>>, containerFor: () => ContainerClient): Promise<ApiResponse | FileResponse> {
  const { logType = '', hash = '', file = '' } = params;
  const shown = (v: string): string => JSON.stringify(v.slice(0, 40));
  if (!(LOG_TYPE_NAMES as readonly string[]).includes(logType) || !GENERATORS[logType as LogTypeName])
    return badRequest(`unknown log type ${shown(logType)} (one of ${LOG_TYPE_NAMES.join(', ')})`, 'logType');
  if (!HASH.test(hash)) return badRequest(`hash must be the 16 lowercase hex digits of a requestHash, got ${shown(hash)}`, 'hash');
  const names = datasetFileNames(logType as LogTypeName);
  if (!names.includes(file)) return badRequest(`file must be one of ${names.join(', ')} for ${logType}, got ${shown(file)}`, 'file');

  let container: ContainerClient;
  try {
    container = containerFor();
  } catch (err) {
    return { status: 503, body: { error: `no dataset storage: ${errorText(err)}` } };
  }
  const blob = `${logType}/${hash}/${file}`;
  let download: BlobDownloadResponseParsed;
  try {
    download = await container.getBlobClient(blob).download();
  } catch (err) {
    if ((err as { statusCode?: unknown }).statusCode === 404) return { status: 404, body: { error: `no dataset file ${blob}: generate it first (POST /api/datasets)` } };
    if (err instanceof RestError) return storageFailed('read the dataset from', container, err);
    throw err;
  }
  const body = download.readableStreamBody;
  if (!body) throw new Error(`blob ${blob} came without a body`);
  const headers: Record<string, string> = {
    'Content-Type': download.contentType ?? (file === LABELS_FILE ? 'application/json' : 'application/gzip'),
    // The bytes as stored (gzip), saved under a name that says which dataset they are.
    'Content-Disposition': `attachment; filename="${logType}-${hash}-${file}"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  };
  if (download.contentLength !== undefined) headers['Content-Length'] = String(download.contentLength);
  return { status: 200, headers, body: Readable.from(body, { objectMode: false }) };
}
