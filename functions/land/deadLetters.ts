// Dead letters in Blob storage: deadletter/{yyyy}/{mm}/{dd}/{batchKey}/{n}.json. Names are
// deterministic per batch, and writes use If-None-Match: * so a redelivered batch does not
// write its dead letters twice. `sift replay` re-drives them and marks each one replayed.
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { DeadLetter, EventInput, Position } from '../contracts.js';
import { bodyText } from '../envelope/index.js';
import { batchKey as batchKeyOf } from '../pipeline.js';
import { blobServiceFor } from './clients.js';
import { safeKey } from './payload.js';

/** What a dead-letter blob holds. `kind: 'record'` comes from the pipeline, `'event'` is a whole body. */
export interface DeadLetterBlob {
  kind: 'record' | 'event';
  batchKey: string;
  reason: string;
  detail: string;
  position: Position | Omit<Position, 'index'>;
  category?: string;
  /** A webhook record's cluster (DeadLetter.cluster). */
  cluster?: string;
  /** Original bytes as UTF-8 text (lossless when valid), plus their base64 in rawBase64 when they are not (envelope bodyText). */
  raw: string;
  rawBase64?: string;
  writtenAt: string;
}

/** What `sift replay` accepts as a dead letter; anything else in the container is reported and left alone. */
export const deadLetterBlobSchema = z.object({
  kind: z.enum(['record', 'event']),
  batchKey: z.string(),
  reason: z.string(),
  detail: z.string(),
  position: z.object({ source: z.string(), partitionId: z.string(), sequenceNumber: z.number(), offset: z.string(), index: z.number().int().nonnegative().optional() }),
  category: z.string().optional(),
  cluster: z.string().optional(),
  raw: z.string(),
  rawBase64: z.string().optional(),
  writtenAt: z.string(),
}) satisfies z.ZodType<DeadLetterBlob>;

export const REPLAYED_METADATA = 'replayedat';

export function dayPath(d: Date): string {
  return `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
}

export function deadLetterName(batchKey: string, name: string, now: Date): string {
  return `${dayPath(now)}/${safeKey(batchKey)}/${name}.json`;
}

async function ensure(container: ContainerClient): Promise<ContainerClient> {
  await container.createIfNotExists();
  return container;
}

/** Writes one blob unless it exists; true when written. */
async function putOnce(container: ContainerClient, name: string, doc: DeadLetterBlob): Promise<boolean> {
  const body = JSON.stringify(doc);
  try {
    await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
      conditions: { ifNoneMatch: '*' },
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 409) return false;
    throw err;
  }
}

/**
 * Blob writes in flight at once. A hostile batch can hold ~100,000 record dead letters;
 * starting every upload together would open as many sockets and hold every request body
 * at once.
 */
export const UPLOADS_IN_FLIGHT = 32;

/** fn over every item with at most `limit` calls pending; rejects with the first failure (the rest still settle). */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failed = false;
  let error: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        if (!failed) error = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw error;
}

export class DeadLetterStore {
  private ready: Promise<ContainerClient> | undefined;
  constructor(
    private readonly service: BlobServiceClient,
    private readonly containerName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  container(): Promise<ContainerClient> {
    this.ready ??= ensure(this.service.getContainerClient(this.containerName)).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /** The pipeline's record-level dead letters of one batch; returns how many exist now. */
  async writeRecords(batchKey: string, letters: readonly DeadLetter[]): Promise<number> {
    if (letters.length === 0) return 0;
    const c = await this.container();
    const now = this.now();
    await eachLimited(letters, UPLOADS_IN_FLIGHT, (l, n) => {
      const doc: DeadLetterBlob = { kind: 'record', batchKey, reason: l.reason, detail: l.detail, position: l.position, raw: l.raw, writtenAt: now.toISOString() };
      if (l.category !== undefined) doc.category = l.category;
      if (l.cluster !== undefined) doc.cluster = l.cluster;
      if (l.rawBase64 !== undefined) doc.rawBase64 = l.rawBase64;
      return putOnce(c, deadLetterName(batchKey, String(n), now), doc);
    });
    return letters.length;
  }

  /** Whole event bodies of a batch that could not land; returns how many exist now. */
  async writeEvents(batchKey: string, events: readonly EventInput[], reason: string, detail: string): Promise<number> {
    const c = await this.container();
    const now = this.now();
    await eachLimited(events, UPLOADS_IN_FLIGHT, (ev, n) => {
      const { raw, rawBase64 } = bodyText(ev.body);
      const doc: DeadLetterBlob = { kind: 'event', batchKey, reason, detail, position: ev.position, raw, writtenAt: now.toISOString() };
      if (rawBase64 !== undefined) doc.rawBase64 = rawBase64;
      return putOnce(c, deadLetterName(batchKey, `event-${n}`, now), doc);
    });
    return events.length;
  }
}

export function deadLetterStoreFor(config: Config, service?: BlobServiceClient): DeadLetterStore {
  return new DeadLetterStore(service ?? blobServiceFor(config), config.KUBESIFT_DEADLETTER_CONTAINER);
}

/**
 * Trigger-side last resort: after the host's retries the batch still cannot land (reason
 * `land-failed`) or its settings still do not load (`settings-invalid`), so every event body
 * is written whole with `detail`. Idempotent per batch (same names, If-None-Match).
 */
export async function deadLetterBatch(config: Config, events: EventInput[], detail: string, opts: { reason?: string; service?: BlobServiceClient; batchKey?: string } = {}): Promise<number> {
  const key = opts.batchKey ?? batchKeyOf(events);
  return deadLetterStoreFor(config, opts.service).writeEvents(key, events, opts.reason ?? 'land-failed', detail.slice(0, 2000));
}
