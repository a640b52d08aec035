// Event Hub trigger on the webhook hub: audit events and runtime alerts the webhook HTTP
// function forwarded go through normalize → detect → land, like AKS diagnostic records.
import type { InvocationContext } from '@azure/functions';
import { loadConfig, type Config } from '../config.js';
import { emptySummary, type LandReport, type Lander } from '../contracts.js';
import type { ChunkOutcome } from '../land/lastResort.js';
import type { Policy } from '../detect/index.js';
// Same position/clock rules as the AKS trigger: one definition of where a record came from.
import { batchClock, eventsFromTrigger } from '../eventhub/triggerMetadata.js';
import { eventHubTrigger } from './registry.js';

export interface WebhookBatchDeps {
  lander: Lander;
  policy: Policy;
  now?: Date;
  /** Settings; default loadConfig() on every batch (the worker's own deps load them once). */
  config?: Config;
}

let cachedDeps: Promise<WebhookBatchDeps> | undefined;
async function defaultDeps(): Promise<WebhookBatchDeps> {
  cachedDeps ??= (async () => {
    const config = loadConfig();
    const [{ getLander }, { policyFromConfig }] = await Promise.all([import('../land/index.js'), import('../detect/index.js')]);
    return { lander: await getLander(config), policy: policyFromConfig(config), config };
  })();
  cachedDeps.catch(() => (cachedDeps = undefined));
  return cachedDeps;
}

/**
 * One webhook-hub batch, landed chunk by chunk like the AKS trigger (processWebhookChunks; a
 * batch of usual size is one chunk under batchKey(events)). Returns what each chunk became,
 * not its rows, so a chunk's rows die once it has landed.
 */
export async function handleWebhookBatch(messages: unknown[], context: InvocationContext, deps?: WebhookBatchDeps): Promise<{ chunks: ChunkOutcome[]; landed: LandReport | null; deadLettered?: number }> {
  const [{ processWebhookChunks }, { landChunks, chunkTotals, keepBatchOnFinalRetry }] = await Promise.all([import('../webhooks/process.js'), import('../land/lastResort.js')]);
  let d: WebhookBatchDeps;
  let config: Config;
  try {
    d = deps ?? (await defaultDeps());
    config = d.config ?? loadConfig();
  } catch (err) {
    // As in the AKS trigger: on the final retry, settings that do not load must not cost the batch.
    const kept = await keepBatchOnFinalRetry(err, messages, context, { hub: 'KUBESIFT_WEBHOOK_HUB', label: 'webhook batch' });
    return { chunks: [{ batchKey: kept.batchKey, summary: emptySummary(), land: null, deadLettered: kept.deadLettered }], landed: null, deadLettered: kept.deadLettered };
  }
  const events = eventsFromTrigger(messages, context, config.KUBESIFT_WEBHOOK_HUB);
  const lander = d.lander;
  const chunks = await landChunks(processWebhookChunks(events, { policy: d.policy, now: d.now ?? batchClock(context) }), {
    config,
    lander,
    context,
    events,
    label: 'webhook batch',
    landed: (key, { events: part, result: { summary: s } }) =>
      context.log(`webhook batch ${key}: ${part.length} message(s), ${s.records} record(s) → ${s.rows.AksAudit ?? 0} AksAudit, ${s.detections} detection(s), ${s.deadLetters} dead letter(s); landed via ${lander.kind}`),
  });
  const { land, deadLettered } = chunkTotals(chunks);
  return { chunks, landed: land, ...(deadLettered === undefined ? {} : { deadLettered }) };
}

const binding = {
  eventHubName: '%KUBESIFT_WEBHOOK_HUB%',
  connection: 'EventHubConnection',
  consumerGroup: '%KUBESIFT_CONSUMER_GROUP%',
  cardinality: 'many' as const,
  // Exact bytes, so a message that is not ours is dead-lettered byte for byte.
  dataType: 'binary',
};

eventHubTrigger('webhookEvents', {
  ...binding,
  retry: { strategy: 'exponentialBackoff', maxRetryCount: 5, minimumInterval: { seconds: 5 }, maximumInterval: { minutes: 5 } },
  handler: async (messages, context) => {
    await handleWebhookBatch(messages as unknown[], context);
  },
});
