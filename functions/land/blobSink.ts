// blob sink (no Kusto at all): ingestion-ready gzipped multijson per table in the landing
// container, plus the exact `.ingest into` command beside it. Names are deterministic per
// (table, day, batch) and written with If-None-Match: *, so a redelivered batch is skipped.
// Each blob records the landing that wrote it (metadata), so a retry that finds the blob
// written by its own timed-out attempt reports it landed, not duplicate.
import type { BlobServiceClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { ingestFromBlobCommand } from './commands.js';
import { gzip, safeKey, type TablePayload } from './payload.js';
import type { PutOutcome, TableSink } from './sink.js';

export function landedBlobName(p: Pick<TablePayload, 'table' | 'day'>, batchKey: string): string {
  return `${p.table}/${p.day}/${safeKey(batchKey)}.multijson.gz`;
}

const LANDING_METADATA = 'landing';

async function putOnce(blob: BlockBlobClient, body: Buffer, contentType: string, landing?: string): Promise<boolean> {
  try {
    await blob.uploadData(body, {
      conditions: { ifNoneMatch: '*' },
      blobHTTPHeaders: { blobContentType: contentType },
      ...(landing ? { metadata: { [LANDING_METADATA]: landing } } : {}),
    });
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 409) return false;
    throw err;
  }
}

export function blobSink(service: BlobServiceClient, containerName: string): TableSink {
  let ready: Promise<ContainerClient> | undefined;
  const container = (): Promise<ContainerClient> =>
    (ready ??= (async () => {
      const c = service.getContainerClient(containerName);
      await c.createIfNotExists();
      return c;
    })().catch((err: unknown) => {
      ready = undefined;
      throw err;
    }));
  return {
    kind: 'blob',
    async put(p, batchKey, landing): Promise<PutOutcome> {
      const c = await container();
      const name = landedBlobName(p, batchKey);
      const blob = c.getBlockBlobClient(name);
      // Stored gzipped, not Content-Encoding: ADX ingests `.gz` blobs by extension.
      const wrote =
        (await putOnce(blob, gzip(p.ndjson), 'application/gzip', landing)) ||
        (landing !== undefined && (await blob.getProperties()).metadata?.[LANDING_METADATA] === landing);
      const command = ingestFromBlobCommand({ table: p.table, mappingName: p.mappingName, tag: p.tag }, blob.url);
      const note = `// ${p.rows} rows for ${p.table}. Append a SAS token or ;managed_identity=system to the URL when the cluster cannot read the container anonymously.\n`;
      // Written after the data, also when the data existed: a crash between the two must not leave data without its command.
      await putOnce(c.getBlockBlobClient(name.replace(/\.multijson\.gz$/, '.kql')), Buffer.from(note + command + '\n'), 'text/plain; charset=utf-8');
      return wrote ? 'landed' : 'duplicate';
    },
  };
}
