// Dead letters in Blob storage, under deadletter/{yyyy}/{mm}/{dd}/{batchKey}/: a batch's
// record-level dead letters packed into records-{first}.json blobs, and the whole bodies of a
// batch that could not land as event-{n}.json. Names are deterministic per batch, the day is
// the batch's first (folderDay), and writes use If-None-Match: * so a redelivered batch does
// not write its dead letters twice. `sift replay` re-drives them and marks each blob replayed.
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { DeadLetter, EventInput, Position } from '../contracts.js';
import { bodyText } from '../envelope/index.js';
import { batchKey as batchKeyOf } from '../pipeline.js';
import { blobServiceFor } from './clients.js';
import { safeKey } from './payload.js';

/**
 * One dead letter as replay reads it. `kind: 'record'` comes from the pipeline (packed, or
 * one per blob as versions before packing wrote them), `'event'` is a whole body.
 */
export interface DeadLetterBlob {
  kind: 'record' | 'event';
  batchKey: string;
  reason: string;
  detail: string;
  position: Position | Omit<Position, 'index'>;
  category?: string;
  /** A webhook record's cluster (DeadLetter.cluster, clusterPinned). */
  cluster?: string;
  clusterPinned?: true;
  /** Original bytes as UTF-8 text (lossless when valid), plus their base64 in rawBase64 when they are not (envelope bodyText). */
  raw: string;
  rawBase64?: string;
  writtenAt: string;
}

/**
 * What a records-{first}.json blob holds: consecutive record dead letters of one batch, as
 * the pipeline made them (the blob holds their kind, batch key and write time once).
 */
export interface DeadLetterPack {
  kind: 'records';
  batchKey: string;
  writtenAt: string;
  letters: DeadLetter[];
}

const positionSchema = z.object({ source: z.string(), partitionId: z.string(), sequenceNumber: z.number(), offset: z.string(), enqueuedTime: z.string().optional(), index: z.number().int().min(-1).optional() });
const letterFields = {
  reason: z.string(),
  detail: z.string(),
  position: positionSchema,
  category: z.string().optional(),
  cluster: z.string().optional(),
  clusterPinned: z.literal(true).optional(),
  raw: z.string(),
  rawBase64: z.string().optional(),
};

/** What `sift replay` accepts as a dead-letter blob; anything else in the container is reported and left alone. */
export const deadLetterFileSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.enum(['record', 'event']), batchKey: z.string(), writtenAt: z.string(), ...letterFields }) satisfies z.ZodType<DeadLetterBlob>,
  z.object({ kind: z.literal('records'), batchKey: z.string(), writtenAt: z.string(), letters: z.array(z.object({ ...letterFields, position: positionSchema.required({ index: true }) })).min(1) }) satisfies z.ZodType<DeadLetterPack>,
]);

/** The dead letters of one blob, a pack's one by one. */
export function lettersOf(file: DeadLetterBlob | DeadLetterPack): DeadLetterBlob[] {
  if (file.kind !== 'records') return [file];
  const { batchKey, writtenAt } = file;
  return file.letters.map((l) => ({ kind: 'record', batchKey, writtenAt, ...l }));
}

export const REPLAYED_METADATA = 'replayedat';
/**
 * Set beside `replayedat` on the blobs of a whole batch replayed without all of its bodies
 * (`sift replay --allow-incomplete`): such a folder is no evidence that its batch landed whole,
 * so a body found again later is reported as incomplete rather than marked without a word.
 */
export const PARTIAL_METADATA = 'replayedpartial';

/**
 * The reason of a dead letter that keeps a damaged stretch of a Capture file (capture/replay.ts):
 * Avro bytes no pipeline reads, which `sift replay` passes over.
 */
export const CAPTURE_BLOCK_UNREADABLE = 'capture-block-unreadable';

export function dayPath(d: Date): string {
  return `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** The folder (under its day) that holds a batch's dead letters. */
export const batchFolder = (batchKey: string): string => safeKey(batchKey);

export function deadLetterName(batchKey: string, name: string, now: Date): string {
  return `${dayPath(now)}/${batchFolder(batchKey)}/${name}.json`;
}

/** The batch folder of a whole-event dead letter's name (`<day>/<folder>/event-<n>.json`), else undefined. */
export function wholeEventFolder(name: string): string | undefined {
  return /^\d{4}\/\d{2}\/\d{2}\/([^/]+)\/event-\d+\.json$/.exec(name)?.[1];
}

/** The day of the folder a dead-letter blob sits in (deadLetterName), if its name has one. */
export function dayOfName(name: string): Date | undefined {
  const m = /^(\d{4})\/(\d{2})\/(\d{2})\//.exec(name);
  if (!m) return undefined;
  const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return dayPath(day) === name.slice(0, 10) ? day : undefined;
}

async function ensure(container: ContainerClient): Promise<ContainerClient> {
  await container.createIfNotExists();
  return container;
}

/**
 * The day folder for a batch's dead letters: the previous UTC day's when that folder already
 * holds some of them, else today's. Names are per batch and written once (putOnce), but under
 * the day they are written: without this, a batch dead-lettered before midnight and
 * redelivered after it (the trigger's retries span ~15 minutes) would be written a second
 * time under the new day. One listing of at most one name per write.
 */
async function folderDay(container: ContainerClient, batchKey: string, now: Date): Promise<Date> {
  const yesterday = new Date(now.getTime() - 86_400_000);
  const prefix = `${dayPath(yesterday)}/${batchFolder(batchKey)}/`;
  for await (const page of container.listBlobsFlat({ prefix }).byPage({ maxPageSize: 1 })) return page.segment.blobItems.length > 0 ? yesterday : now;
  return now;
}

/** Writes one blob unless it exists; true when written. */
async function putOnce(container: ContainerClient, name: string, doc: DeadLetterBlob | DeadLetterPack): Promise<boolean> {
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
 * Blob writes in flight at once. A batch whose bodies hold many dead letters writes many
 * packs, and a batch that cannot land writes up to one blob per body; starting every upload
 * together would open as many sockets and hold every request body at once.
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

/**
 * Record dead letters a pack holds at most, and the text (raw, detail) after which it closes.
 * One blob per record cost a Blob write per record: one 1.4 MB body of another resource's
 * diagnostics (5,000 records, none of them AKS) took 8.5-12 s to set aside on Azurite, and a
 * batch of a hundred such bodies about a quarter of an hour at that rate; packed, 0.1 s.
 */
export const PACK_LETTERS = 1_000;
export const PACK_CHARS = 4 * 1024 * 1024;

/** Consecutive runs of `letters`, each with the index of its first letter (the pack's name). */
export function packDeadLetters(letters: readonly DeadLetter[]): { first: number; letters: DeadLetter[] }[] {
  const packs: { first: number; letters: DeadLetter[] }[] = [];
  let chars = 0;
  letters.forEach((l, i) => {
    const size = l.raw.length + (l.rawBase64?.length ?? 0) + l.detail.length;
    let open = packs[packs.length - 1];
    if (!open || open.letters.length >= PACK_LETTERS || chars + size > PACK_CHARS) {
      packs.push((open = { first: i, letters: [] }));
      chars = 0;
    }
    open.letters.push(l);
    chars += size;
  });
  return packs;
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

  /**
   * The pipeline's record-level dead letters of one batch, packed (packDeadLetters); returns
   * how many exist now. `day`: the folder's day when the caller knows it (replay), else folderDay's.
   */
  async writeRecords(batchKey: string, letters: readonly DeadLetter[], day?: Date): Promise<number> {
    if (letters.length === 0) return 0;
    const c = await this.container();
    const now = this.now();
    day ??= await folderDay(c, batchKey, now);
    const packs = packDeadLetters(letters);
    await eachLimited(packs, UPLOADS_IN_FLIGHT, ({ first, letters: packed }) =>
      putOnce(c, deadLetterName(batchKey, `records-${first}`, day), { kind: 'records', batchKey, writtenAt: now.toISOString(), letters: packed }),
    );
    return letters.length;
  }

  /** Whole event bodies of a batch that could not land; returns how many exist now. */
  async writeEvents(batchKey: string, events: readonly EventInput[], reason: string, detail: string): Promise<number> {
    const c = await this.container();
    const now = this.now();
    const day = await folderDay(c, batchKey, now);
    await eachLimited(events, UPLOADS_IN_FLIGHT, (ev, n) => {
      const { raw, rawBase64 } = bodyText(ev.body);
      const doc: DeadLetterBlob = { kind: 'event', batchKey, reason, detail, position: ev.position, raw, writtenAt: now.toISOString() };
      if (rawBase64 !== undefined) doc.rawBase64 = rawBase64;
      return putOnce(c, deadLetterName(batchKey, `event-${n}`, day), doc);
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
