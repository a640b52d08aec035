// Event Hub trigger on the webhook hub: audit events and runtime alerts the webhook HTTP
// function forwarded go through normalize → detect → land, like AKS diagnostic records.
import type { InvocationContext } from '@azure/functions';
import { loadConfig, type Config } from '../config.js';
import { emptySummary, mergeLandReports, sumGiven, type BatchSummary, type LandReport, type Lander } from '../contracts.js';
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

export interface WebhookChunkOutcome {
  batchKey: string;
  summary: BatchSummary;
  /** What the sink landed; null when the final retry dead-lettered the chunk instead. */
  landed: LandReport | null;
  deadLettered?: number;
}

/**
 * One webhook-hub batch, landed chunk by chunk like the AKS trigger (processWebhookChunks; a
 * batch of usual size is one chunk under batchKey(events)). Returns what each chunk became,
 * not its rows, so a chunk's rows die once it has landed.
 */
export async function handleWebhookBatch(messages: unknown[], context: InvocationContext, deps?: WebhookBatchDeps): Promise<{ chunks: WebhookChunkOutcome[]; landed: LandReport | null; deadLettered?: number }> {
  const [{ processWebhookChunks }, { batchKey }, { landOrDeadLetter, keepBatchOnFinalRetry }] = await Promise.all([import('../webhooks/process.js'), import('../pipeline.js'), import('../land/lastResort.js')]);
  let d: WebhookBatchDeps;
  let config: Config;
  try {
    d = deps ?? (await defaultDeps());
    config = d.config ?? loadConfig();
  } catch (err) {
    // As in the AKS trigger: on the final retry, settings that do not load must not cost the batch.
    const kept = await keepBatchOnFinalRetry(err, messages, context, { hub: 'KUBESIFT_WEBHOOK_HUB', label: 'webhook batch' });
    return { chunks: [{ batchKey: kept.batchKey, summary: emptySummary(), landed: null, deadLettered: kept.deadLettered }], landed: null, deadLettered: kept.deadLettered };
  }
  const events = eventsFromTrigger(messages, context, config.KUBESIFT_WEBHOOK_HUB);
  const chunks: WebhookChunkOutcome[] = [];
  for (const { events: part, result } of processWebhookChunks(events, { policy: d.policy, now: d.now ?? batchClock(context) })) {
    const key = batchKey(part);
    // Throwing makes the host retry the batch (retry policy below; landing is idempotent per
    // key); the final retry dead-letters the chunk whole instead.
    const outcome = await landOrDeadLetter({ config, lander: d.lander, result, batchKey: key, events: part, retry: context.retryContext });
    const s = result.summary;
    if ('deadLettered' in outcome) {
      context.error(`webhook batch ${key}: final retry could not land (${outcome.error}); ${outcome.deadLettered} event(s) written whole to dead letters`);
      chunks.push({ batchKey: key, summary: s, landed: null, deadLettered: outcome.deadLettered });
      continue;
    }
    context.log(
      `webhook batch ${key}: ${part.length} message(s), ${s.records} record(s) → ${s.rows.AksAudit ?? 0} AksAudit, ${s.detections} detection(s), ${s.deadLetters} dead letter(s); landed via ${d.lander.kind}`,
    );
    chunks.push({ batchKey: key, summary: s, landed: outcome.landed });
  }
  const deadLettered = sumGiven(chunks.map((c) => c.deadLettered));
  return { chunks, landed: mergeLandReports(chunks.map((c) => c.landed)), ...(deadLettered === undefined ? {} : { deadLettered }) };
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
