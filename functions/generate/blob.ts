// Streams a dataset through gzip into Blob storage (uploadStream: bounded buffers, never
// the whole dataset in memory) and writes the labels file beside it. Blob names are a
// pure function of the canonical request, so the same request always lands in the same place.
import { createGzip } from 'node:zlib';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { labelsFile, writeDataset, type DatasetSummary } from './index.js';
import { requestHash, type ResolvedRequest } from './request.js';

export interface BlobDataset {
  dataUrl: string;
  labelsUrl: string;
  dataBlob: string;
  labelsBlob: string;
  compressedBytes: number;
  summary: DatasetSummary;
}

const UPLOAD_BUFFER = 1024 * 1024;
const UPLOAD_CONCURRENCY = 2;

/** `<logType>/<hash16>/` — the folder of one dataset. */
export function datasetFolder(req: ResolvedRequest): string {
  return `${req.logType}/${requestHash(req)}`;
}

/** The two files of a dataset folder: the data (named by its encoder's extension) and the labels. */
export const dataFileName = (extension: string): string => `data.${extension}.gz`;
export const LABELS_FILE = 'labels.json';

/**
 * Two writers of one dataset (a double-click, a client's retry while the first request still
 * runs) stage blocks on the same blob, since its name is the request's. The first commit
 * discards the other's uncommitted blocks, whose commit then fails with InvalidBlockList. The
 * bytes are the same, so the loser writes them again; a few writers at once settle in a few
 * rounds.
 */
const WRITE_ATTEMPTS = 4;
const lostCommitRace = (err: unknown): boolean => (err as { code?: unknown }).code === 'InvalidBlockList';

/** The dataset through gzip into `data` (uploadStream: bounded buffers). */
async function uploadDataset(data: BlockBlobClient, req: ResolvedRequest): Promise<DatasetSummary> {
  const gzip = createGzip({ level: 6 });
  const upload = data.uploadStream(gzip, UPLOAD_BUFFER, UPLOAD_CONCURRENCY, {
    blobHTTPHeaders: { blobContentType: 'application/gzip' },
  });
  try {
    const summary = await writeDataset(req, gzip);
    gzip.end();
    await upload;
    return summary;
  } catch (err) {
    gzip.destroy(err as Error);
    await upload.catch(() => undefined);
    throw err;
  }
}

export async function writeDatasetToBlob(container: ContainerClient, req: ResolvedRequest, extension: string): Promise<BlobDataset> {
  await container.createIfNotExists();
  const folder = datasetFolder(req);
  const dataBlob = `${folder}/${dataFileName(extension)}`;
  const labelsBlob = `${folder}/${LABELS_FILE}`;
  const data = container.getBlockBlobClient(dataBlob);
  let summary: DatasetSummary;
  for (let attempt = 1; ; attempt++) {
    try {
      summary = await uploadDataset(data, req);
      break;
    } catch (err) {
      if (attempt >= WRITE_ATTEMPTS || !lostCommitRace(err)) throw err;
    }
  }
  await data.setMetadata({
    sha256: summary.sha256,
    records: String(summary.records),
    uncompressedbytes: String(summary.bytes),
    logtype: req.logType,
    format: req.format,
    seed: String(req.seed),
  });
  const compressedBytes = (await data.getProperties()).contentLength ?? 0;
  const labels = JSON.stringify(labelsFile(req, summary), null, 2) + '\n';
  const lb = container.getBlockBlobClient(labelsBlob);
  await lb.upload(labels, Buffer.byteLength(labels), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  return { dataUrl: data.url, labelsUrl: lb.url, dataBlob, labelsBlob, compressedBytes, summary };
}
