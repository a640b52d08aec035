// Queued ingestion of a blob that already exists (generated datasets): one queue message,
// no upload. The client is built once per process and configuration.
import { BlobDescriptor, DataFormat, IngestClient, IngestionProperties, ReportLevel, ReportMethod } from 'azure-kusto-ingest';
import type { Config } from '../config.js';
import { kcsbFor, requireUrl } from './clients.js';

export interface IngestBlobRequest {
  blobUri: string;
  table: string;
  format: 'csv' | 'json' | 'multijson' | 'txt';
  mappingName?: string;
  rawSizeBytes?: number;
  /** Extent tags. `ingest-by:` tags are also used for ingestIfNotExists (re-queuing the same dataset is a no-op). */
  tags?: string[];
  /** CSV with a header row (generated datasets): skip the first record. */
  ignoreFirstRecord?: boolean;
}

const FORMATS: Record<IngestBlobRequest['format'], DataFormat> = {
  csv: DataFormat.CSV,
  json: DataFormat.JSON,
  multijson: DataFormat.MULTIJSON,
  txt: DataFormat.TXT,
};

const clients = new WeakMap<Config, IngestClient>();

function clientFor(config: Config): IngestClient {
  let c = clients.get(config);
  if (!c) {
    c = new IngestClient(kcsbFor(requireUrl(config.KUBESIFT_KUSTO_INGEST_URL, 'KUBESIFT_KUSTO_INGEST_URL'), config));
    clients.set(config, c);
  }
  return c;
}

/**
 * In Azure (storage by managed identity) a bare blob URL gets `;managed_identity=system` so the
 * cluster reads it with its own identity; URLs that carry a SAS or an auth suffix are left alone.
 */
export function blobUriForIngestion(config: Config, uri: string): string {
  if (uri.includes('?') || uri.includes(';')) return uri;
  return config.KUBESIFT_STORAGE_ACCOUNT && !config.KUBESIFT_STORAGE_CONNECTION ? `${uri};managed_identity=system` : uri;
}

export function blobIngestionProperties(config: Config, req: IngestBlobRequest): IngestionProperties {
  const tags = req.tags ?? [];
  const ingestBy = tags.filter((t) => t.startsWith('ingest-by:')).map((t) => t.slice('ingest-by:'.length));
  const props = new IngestionProperties({
    database: config.KUBESIFT_KUSTO_DATABASE,
    table: req.table,
    format: FORMATS[req.format],
    reportLevel: ReportLevel.FailuresOnly,
    reportMethod: ReportMethod.Queue,
  });
  if (req.mappingName) props.ingestionMappingReference = req.mappingName;
  if (req.ignoreFirstRecord) props.ignoreFirstRecord = true;
  if (tags.length > 0) props.additionalTags = tags;
  if (ingestBy.length > 0) props.ingestIfNotExists = JSON.stringify(ingestBy);
  return props;
}

export async function ingestFromBlob(config: Config, req: IngestBlobRequest): Promise<{ ingestionId: string }> {
  const result = await clientFor(config).ingestFromBlob(new BlobDescriptor(blobUriForIngestion(config, req.blobUri), req.rawSizeBytes ?? null), blobIngestionProperties(config, req));
  const status = await result.getIngestionStatusCollection();
  return { ingestionId: status.IngestionSourceId };
}
