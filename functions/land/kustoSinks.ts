// Sinks that talk to Kusto: queued (QueuedIngestClient: blob + queue message with ingest-by
// tags and ingestIfNotExists), streaming, managed (streaming, queued above a size or when
// streaming fails) and direct (`.ingest inline` commands, for Kustainer).
import { Readable } from 'node:stream';
import { Client as KustoClient, ClientRequestProperties } from 'azure-kusto-data';
import {
  CompressionType,
  DataFormat,
  IngestClient,
  IngestionProperties,
  ReportLevel,
  ReportMethod,
  StreamDescriptor,
  StreamingIngestClient,
} from 'azure-kusto-ingest';
import type { KustoConnectionStringBuilder } from 'azure-kusto-data';
import { ingestInlineCommand } from './commands.js';
import { gzip, type TablePayload } from './payload.js';
import { splitNdjson, type PutOutcome, type TableSink } from './sink.js';

/**
 * Ingestion properties of one payload: mapping reference and, when `tagged`, its ingest-by
 * tag with ingestIfNotExists (KUBESIFT_INGEST_TAGS; docs/adx.md).
 */
export function queuedProperties(database: string, p: TablePayload, tagged = true): IngestionProperties {
  return new IngestionProperties({
    database,
    table: p.table,
    format: DataFormat.MULTIJSON,
    ingestionMappingReference: p.mappingName,
    // ingest-by tags survive extent merges; ingestIfNotExists makes ADX drop a second
    // ingestion with the same tag (a redelivered batch).
    ...(tagged ? { ingestByTags: [p.tag], ingestIfNotExists: JSON.stringify([p.tag]) } : {}),
    reportLevel: ReportLevel.FailuresOnly,
    reportMethod: ReportMethod.Queue,
  });
}

function gzipStream(p: TablePayload): StreamDescriptor {
  // A Buffer (not a one-shot stream) so the client's own upload retries can resend it.
  return new StreamDescriptor(gzip(p.ndjson) as unknown as ArrayBuffer, undefined, CompressionType.GZIP);
}

export function queuedSink(kcsb: KustoConnectionStringBuilder, database: string, tagged = true): TableSink & { client: IngestClient } {
  const client = new IngestClient(kcsb);
  return {
    kind: 'queued',
    client,
    async put(p): Promise<PutOutcome> {
      await client.ingestFromStream(gzipStream(p), queuedProperties(database, p, tagged));
      return 'landed';
    },
    close: () => client.close(),
  };
}

/**
 * Streaming ingestion has no ingestIfNotExists: exactly-once rests on the in-batch dedupe
 * and redelivery being rare. Payloads above maxBytes are streamed in row-aligned pieces.
 */
export function streamingSink(kcsb: KustoConnectionStringBuilder, database: string, maxBytes: number): TableSink {
  const client = new StreamingIngestClient(kcsb);
  return {
    kind: 'streaming',
    async put(p): Promise<PutOutcome> {
      for (const piece of splitNdjson(p.ndjson, maxBytes)) {
        const props = new IngestionProperties({ database, table: p.table, format: DataFormat.MULTIJSON, ingestionMappingReference: p.mappingName });
        await client.ingestFromStream(new StreamDescriptor(Readable.from(gzip(piece)), undefined, CompressionType.GZIP), props);
      }
      return 'landed';
    },
    close: () => client.close(),
  };
}

/** Streaming for small payloads; queued (with tags) for large ones and when streaming fails. */
export function managedSink(streaming: TableSink, queued: TableSink, maxBytes: number, onFallback?: (err: unknown) => void): TableSink {
  return {
    kind: 'managed',
    async put(p, batchKey): Promise<PutOutcome> {
      if (p.ndjson.length > maxBytes) return queued.put(p, batchKey);
      try {
        return await streaming.put(p, batchKey);
      } catch (err) {
        onFallback?.(err);
        return queued.put(p, batchKey);
      }
    },
    close: async () => {
      await streaming.close?.();
      await queued.close?.();
    },
  };
}

/** Largest `.ingest inline` command body per call; Kustainer handles this comfortably. */
export const INLINE_MAX_BYTES = 1_000_000;

export function directSink(kcsb: KustoConnectionStringBuilder, database: string, timeoutMs: number): TableSink {
  const client = new KustoClient(kcsb);
  return {
    kind: 'direct',
    async put(p): Promise<PutOutcome> {
      const pieces = splitNdjson(p.ndjson, INLINE_MAX_BYTES);
      for (let i = 0; i < pieces.length; i++) {
        const tag = pieces.length === 1 ? p.tag : `${p.tag}/${i}`;
        const props = new ClientRequestProperties();
        props.setTimeout(timeoutMs);
        await client.executeMgmt(database, ingestInlineCommand({ table: p.table, mappingName: p.mappingName, tag }, pieces[i]!.toString('utf8')), props);
      }
      return 'landed';
    },
    close: () => client.close(),
  };
}
