// sift send: replay recorded or generated Event Hub bodies into a real Event Hub, in batches
// sized by the SDK (tryAdd), splitting bodies over the 1 MB event limit along their
// records[] / EventList.items. Compose with the generator:
//   npm run --silent sift -- generate --type aks-audit --format eventhub | npm run --silent sift -- send --hub aks-diagnostics
import {
  DEFAULT_MAX_BODY_BYTES,
  EstimatedBatch,
  sendInBatches,
  splitBody,
  type BatchLike,
  type BatchProducer,
  type SendReport,
} from '../../functions/eventhub/batching.js';
import { isUtf8 } from 'node:buffer';
import { intFlag, parseCommandArgs, UsageError } from './args.js';
import { recordedBodies } from './bodyInput.js';

const USAGE = `usage: sift send --hub <name> [--input file|dir|-]... [--connection-string CS | --namespace NS]
                 [--partition-key K] [--max-body-bytes N] [--dry-run]

Sends Event Hub bodies from files, directories and stdin (the default), read as sift process
reads them: JSON lines (one body a line), or one JSON document (a pretty-printed body, or an
array of bodies); gzip is unpacked. A directory contributes its .json/.jsonl/.ndjson files,
gzipped (.gz) or not, and must hold one. Blank lines hold no body, and files with none are
skipped (and counted).
Bodies over --max-body-bytes (default ${DEFAULT_MAX_BODY_BYTES}) are split along records[] /
EventList.items; single items that still do not fit are reported and skipped.

Auth: --connection-string, else $EVENTHUB_CONNECTION_STRING or $EventHubConnection (the app
setting); or --namespace <name|fqdn> with DefaultAzureCredential (az login, managed identity;
needs the "Azure Event Hubs Data Sender" role).
--dry-run plans the batches offline (estimated sizes) and sends nothing.
`;

export interface SendOptions {
  hub: string;
  inputs: string[];
  connectionString?: string;
  namespace?: string;
  partitionKey?: string;
  maxBodyBytes: number;
  dryRun: boolean;
}

export interface SplitStats {
  bodiesIn: number;
  /** Files skipped for holding no body (empty or whitespace only). */
  emptyFiles: number;
  split: number;
  oversizeItems: number;
  unsplittable: number;
}

/**
 * Bodies as bytes, each within maxBytes; counts what had to be split or dropped. A body that
 * fits goes on as the bytes read (never decoded: invalid UTF-8 reaches the envelope as it
 * is). `keepOversize` (npm start --input, whose local hub has no event limit): what no
 * event can carry goes on whole with a warning, for the pipeline to land or dead-letter,
 * instead of being skipped (`sift send`: Event Hubs would refuse it).
 */
export async function* fittedBodies(bodies: AsyncIterable<Buffer>, maxBytes: number, stats: SplitStats, warn: (m: string) => void, keepOversize = false): AsyncGenerator<Uint8Array> {
  for await (const body of bodies) {
    stats.bodiesIn++;
    if (body.length <= maxBytes) {
      yield body;
      continue;
    }
    // Split only what decodes: a body with bytes that are not UTF-8 has no items to cut out.
    const utf8 = isUtf8(body);
    const fit = utf8 ? splitBody(body.toString('utf8'), maxBytes) : { bodies: [], oversizeBody: true, oversizeItems: [] as number[] };
    const what = fit.oversizeBody
      ? `is ${body.length} bytes and has no records[]/items[] to split along${utf8 ? '' : ' (not UTF-8)'}`
      : fit.oversizeItems.length
        ? `has ${fit.oversizeItems.length} item(s) larger than ${maxBytes} bytes alone (indexes ${fit.oversizeItems.slice(0, 5).join(', ')})`
        : '';
    if (fit.oversizeBody) stats.unsplittable++;
    stats.oversizeItems += fit.oversizeItems.length;
    if (what && keepOversize) {
      warn(`body #${stats.bodiesIn} ${what}: published whole (a real Event Hub refuses events over ${maxBytes} bytes)`);
      yield body;
      continue;
    }
    if (what) warn(`body #${stats.bodiesIn} ${what}: skipped`);
    if (fit.bodies.length > 1) stats.split++;
    for (const b of fit.bodies) yield Buffer.from(b, 'utf8');
  }
}

async function producerFor(o: SendOptions): Promise<{ producer: BatchProducer<BatchLike>; close(): Promise<void> }> {
  if (o.dryRun) {
    return { producer: { createBatch: async () => new EstimatedBatch(), sendBatch: async () => undefined }, close: async () => undefined };
  }
  const { EventHubProducerClient } = await import('@azure/event-hubs');
  const cs = o.connectionString ?? process.env.EVENTHUB_CONNECTION_STRING ?? process.env.EventHubConnection;
  let client: InstanceType<typeof EventHubProducerClient>;
  if (o.namespace) {
    const { DefaultAzureCredential } = await import('@azure/identity');
    const fqdn = o.namespace.includes('.') ? o.namespace : `${o.namespace}.servicebus.windows.net`;
    client = new EventHubProducerClient(fqdn, o.hub, new DefaultAzureCredential());
  } else if (cs) {
    client = new EventHubProducerClient(cs, o.hub);
  } else {
    throw new Error('no Event Hubs credentials: pass --connection-string, set EVENTHUB_CONNECTION_STRING, or use --namespace with az login');
  }
  const batchOptions = o.partitionKey ? { partitionKey: o.partitionKey } : {};
  type SdkBatch = Awaited<ReturnType<typeof client.createBatch>>;
  const producer: BatchProducer<SdkBatch> = {
    createBatch: () => client.createBatch(batchOptions),
    sendBatch: (b) => client.sendBatch(b),
  };
  return { producer: producer as unknown as BatchProducer<BatchLike>, close: () => client.close() };
}

export async function send(o: SendOptions, log: (m: string) => void = (m) => process.stderr.write(m + '\n')): Promise<SendReport & SplitStats> {
  const stats: SplitStats = { bodiesIn: 0, emptyFiles: 0, split: 0, oversizeItems: 0, unsplittable: 0 };
  const skipEmpty = (file: string): void => {
    stats.emptyFiles++;
    log(`${file} is empty: skipped`);
  };
  const { producer, close } = await producerFor(o);
  try {
    const report = await sendInBatches(producer, fittedBodies(recordedBodies(o.inputs, skipEmpty), o.maxBodyBytes, stats, log), (r) =>
      log(`  batch ${r.batches}: ${r.events} events so far, ${r.bytes} bytes`),
    );
    return { ...report, ...stats };
  } finally {
    await close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs('sift send', USAGE, argv, {
    hub: { type: 'string' },
    input: { type: 'string', short: 'i', multiple: true },
    'connection-string': { type: 'string' },
    namespace: { type: 'string' },
    'partition-key': { type: 'string' },
    'max-body-bytes': { type: 'string' },
    'dry-run': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, {
    check: ({ values }) => {
      if (!values.hub) throw new UsageError('--hub is required');
      return { hub: values.hub, maxBodyBytes: intFlag(values['max-body-bytes'], 'max-body-bytes', DEFAULT_MAX_BODY_BYTES, 1024, 1_048_576) };
    },
  });
  if (typeof args === 'number') return args;
  const { values } = args;
  const { hub, maxBodyBytes } = args.checked;
  const r = await send({
    hub,
    inputs: values.input ?? [],
    connectionString: values['connection-string'],
    namespace: values.namespace,
    partitionKey: values['partition-key'],
    maxBodyBytes,
    dryRun: !!values['dry-run'],
  });
  process.stderr.write(
    `${values['dry-run'] ? 'planned (dry run)' : 'sent'}: ${r.events} events in ${r.batches} batches (${r.bytes} bytes) to ${hub}; ` +
      `${r.bodiesIn} bodies read, ${r.emptyFiles} empty files skipped, ${r.split} split, ${r.oversizeItems} oversize items and ${r.unsplittable} unsplittable bodies skipped, ${r.rejected.length} rejected by the batch\n`,
  );
  return r.rejected.length || r.oversizeItems || r.unsplittable ? 1 : 0;
}
