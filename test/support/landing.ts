// Helpers shared by the land-* tests: config for a sink against Azurite (+ stand-in), and
// readers for what landed.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll } from 'vitest';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { loadConfig, type Config } from '../../functions/config.js';
import { defaultPolicy } from '../../functions/detect/index.js';
import type { BatchResult, EventInput, LandReport } from '../../functions/contracts.js';
import { processEvents } from '../../functions/pipeline.js';
import { deadLetterFileSchema, lettersOf, REPLAYED_METADATA, type DeadLetterBlob } from '../../functions/land/deadLetters.js';
import type { AzuriteHandle } from '../../scripts/azurite.js';
import type { ClosableLander } from '../../functions/land/index.js';
import { ingested } from './adxMapping.js';
import { useAzurite } from './azurite.js';
import { startKustoStandIn, type KustoStandIn } from './kustoStandIn.js';

export interface LandingRig {
  readonly azurite: { readonly current: AzuriteHandle };
  readonly standIn: KustoStandIn;
  /** Closes the lander after the file's tests. */
  track<L extends ClosableLander>(lander: L): L;
}

/** Azurite + the Kusto stand-in for one test file, and the landers to close after it. */
export function useLandingRig(): LandingRig {
  const azurite = useAzurite();
  let standIn: KustoStandIn | undefined;
  const landers: ClosableLander[] = [];
  beforeAll(async () => {
    standIn = await startKustoStandIn(azurite.current);
  });
  afterAll(async () => {
    for (const l of landers) await l.close();
    await standIn?.stop();
  });
  return {
    azurite,
    get standIn(): KustoStandIn {
      if (!standIn) throw new Error('stand-in not started (use inside tests)');
      return standIn;
    },
    track: (lander) => (landers.push(lander), lander),
  };
}

export const NOW = new Date('2025-01-02T04:00:00Z');
export const POLICY = defaultPolicy('aks');

export function configFor(azurite: AzuriteHandle, env: Record<string, string>): Config {
  return loadConfig({
    KUBESIFT_STORAGE_CONNECTION: azurite.connectionString,
    KUBESIFT_KUSTO_AUTH: 'none',
    KUBESIFT_LAND_RETRIES: '2',
    KUBESIFT_LAND_RETRY_BASE_MS: '1',
    KUBESIFT_LAND_TIMEOUT_MS: '10000',
    ...env,
  });
}

export function run(events: EventInput[]): BatchResult {
  return processEvents(events, { policy: POLICY, now: NOW });
}

export const landedRows = (r: LandReport): number => Object.values(r.rows).reduce<number>((a, b) => a + (b ?? 0), 0);

/** Rows a batch should land: audit + control-plane rows + detections. */
export const expectedRows = (r: BatchResult): number => r.rows.AksAudit.length + r.rows.AksControlPlane.length + r.detections.length;

export async function listBlobs(container: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  if (!(await container.exists())) return names;
  for await (const b of container.listBlobsFlat()) names.push(b.name);
  return names.sort();
}

/** Rows of a landed blob `<Table>/...` as ADX would ingest them (its JSON mapping applied). */
export async function gunzipLines(container: ContainerClient, name: string): Promise<Record<string, unknown>[]> {
  const buf = await container.getBlobClient(name).downloadToBuffer();
  const table = name.split('/')[0]!;
  return gunzipSync(buf)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => ingested(table, JSON.parse(l) as Record<string, unknown>));
}

/**
 * Every dead letter in `c`, a pack's one by one, with its blob's name and replay mark, each
 * checked against the schema replay reads.
 */
export async function deadLettersIn(c: ContainerClient): Promise<{ name: string; replayed: boolean; doc: DeadLetterBlob }[]> {
  const out: { name: string; replayed: boolean; doc: DeadLetterBlob }[] = [];
  if (!(await c.exists())) return out;
  for await (const b of c.listBlobsFlat({ includeMetadata: true })) {
    const file = deadLetterFileSchema.parse(JSON.parse((await c.getBlobClient(b.name).downloadToBuffer()).toString('utf8')));
    for (const doc of lettersOf(file)) out.push({ name: b.name, replayed: Boolean(b.metadata?.[REPLAYED_METADATA]), doc });
  }
  return out;
}

/** deadLettersIn for a container of `azurite`'s (default the trigger's `deadletter`). */
export const deadLetterDocs = (azurite: AzuriteHandle, container = 'deadletter'): ReturnType<typeof deadLettersIn> =>
  deadLettersIn(BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container));

export interface QueuedMessage {
  BlobPath: string;
  DatabaseName: string;
  TableName: string;
  Id: string;
  AdditionalProperties: { format?: string; ingestionMappingReference?: string; tags?: string; ingestIfNotExists?: string; authorizationContext?: string };
}

export async function queueMessages(azurite: AzuriteHandle, queue: string): Promise<QueuedMessage[]> {
  const q = new QueueClient(azurite.connectionString, queue);
  const out: QueuedMessage[] = [];
  // Receive (not peek: peek is capped at 32) with a long visibility timeout, then the test owns them.
  for (;;) {
    const r = await q.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 600 });
    if (r.receivedMessageItems.length === 0) break;
    for (const m of r.receivedMessageItems) out.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as QueuedMessage);
  }
  return out;
}

/**
 * A model of ADX's data-management semantics for tagged queued ingestion: a message whose
 * ingestIfNotExists tag is already on an extent of the table is dropped, otherwise its blob's
 * rows (through the table's JSON mapping) are appended and its ingest-by tags recorded. Used
 * to show redelivery adds no rows.
 */
export async function applyLikeAdx(messages: QueuedMessage[], readBlob: (path: string) => Promise<Record<string, unknown>[]>): Promise<Map<string, Record<string, unknown>[]>> {
  const tables = new Map<string, Record<string, unknown>[]>();
  const tags = new Map<string, Set<string>>();
  for (const m of messages) {
    const have = tags.get(m.TableName) ?? new Set<string>();
    const ifNot = JSON.parse(m.AdditionalProperties.ingestIfNotExists ?? '[]') as string[];
    if (ifNot.some((t) => have.has(t))) continue;
    const rows = (await readBlob(m.BlobPath)).map((l) => ingested(m.TableName, l));
    tables.set(m.TableName, [...(tables.get(m.TableName) ?? []), ...rows]);
    for (const t of JSON.parse(m.AdditionalProperties.tags ?? '[]') as string[]) if (t.startsWith('ingest-by:')) have.add(t.slice('ingest-by:'.length));
    tags.set(m.TableName, have);
  }
  return tables;
}
