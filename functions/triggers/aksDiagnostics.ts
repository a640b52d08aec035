// Event Hub trigger for AKS diagnostic settings (kube-audit, kube-audit-admin, kube-apiserver,
// controller-manager, scheduler, autoscaler, guard, csi-*, ... all on one hub).
// Binds, turns trigger metadata into positions, runs the pure pipeline, lands the result.
//
// dataType 'binary': the body arrives as the exact bytes. The envelope then decodes once,
// strips a BOM, dead-letters invalid UTF-8 with the original bytes, and does the one
// JSON.parse itself. With the string/default type the host would decode (replacing bad
// bytes silently) and the worker may JSON.parse bodies before we see them, so a bad body
// could not be dead-lettered byte for byte. The envelope still accepts strings and parsed
// values, so a host that delivers those instead loses nothing.
import type { InvocationContext } from '@azure/functions';
import type { Config } from '../config.js';
import { emptySummary, type Lander } from '../contracts.js';
import type { ChunkOutcome } from '../land/lastResort.js';
import type { Policy } from '../detect/index.js';
import { batchClock, eventsFromTrigger } from '../eventhub/triggerMetadata.js';
import { logWorkerHeapOnce } from '../eventhub/workerHeap.js';
import { eventHubTrigger } from './registry.js';

export interface AksBatchDeps {
  /** Sink; default getLander(loadConfig()) built once per worker. */
  lander?: Lander;
  /** Detection policy; default policyFromConfig(loadConfig()). */
  policy?: Policy;
  /** Settings; default loadConfig() (validated, throws ConfigError). */
  config?: Config;
}

export interface AksBatchOutcome extends Omit<ChunkOutcome, 'batchKey'> {
  /** The whole batch's key (its one chunk's, for a batch of usual size). */
  batchKey: string;
  /** One per landing unit (pipeline.ts processEventChunks); one for a batch of usual size. */
  chunks: ChunkOutcome[];
}

// Built once per worker on first use (cold start stays light); a failure is not cached,
// so a setting fixed later does not need a restart.
let defaultConfig: Config | undefined;
let defaultPolicy: Policy | undefined;
let defaultLander: Promise<Lander> | undefined;

async function resolveDeps(deps: AksBatchDeps): Promise<Required<AksBatchDeps>> {
  let config = deps.config;
  if (!config) {
    const { loadConfig } = await import('../config.js');
    config = defaultConfig ??= loadConfig();
  }
  let policy = deps.policy;
  if (!policy) {
    const { policyFromConfig } = await import('../detect/index.js');
    policy = defaultPolicy ??= policyFromConfig(config);
  }
  let lander = deps.lander;
  if (!lander) {
    const cfg = config;
    defaultLander ??= import('../land/index.js').then((m) => m.getLander(cfg));
    try {
      lander = await defaultLander;
    } catch (err) {
      defaultLander = undefined;
      throw err;
    }
  }
  return { config, policy, lander };
}

/**
 * One Event Hub batch: processEventChunks (envelope → normalize → dedupe → detect) and
 * lander.land(result, key) per chunk, so a large batch's rows land and die chunk by chunk
 * (a usual batch is one chunk, keyed batchKey(events)). Bad input never throws (it becomes
 * dead letters); a sink that cannot land throws, so the trigger's retry policy re-delivers
 * the same batch, which splits into the same chunks and lands under the same keys (no
 * duplicates). On the final retry a chunk that cannot land is written whole to the
 * dead-letter container instead and the next chunk goes on (land/lastResort.ts landChunks),
 * so the host's checkpoint never moves past a record that went nowhere.
 */
export async function handleAksBatch(messages: unknown, context: InvocationContext, deps: AksBatchDeps = {}): Promise<AksBatchOutcome> {
  let resolved: Required<AksBatchDeps>;
  try {
    resolved = await resolveDeps(deps);
  } catch (err) {
    // Settings or a policy that do not load fail every attempt; after the last one the host
    // would checkpoint past the batch. On the final retry keep it whole for `sift replay`.
    const { keepBatchOnFinalRetry } = await import('../land/lastResort.js');
    const kept = await keepBatchOnFinalRetry(err, messages, context, { config: deps.config, hub: 'KUBESIFT_AKS_HUB', label: 'aks' });
    const only = { batchKey: kept.batchKey, summary: emptySummary(), land: null, deadLettered: kept.deadLettered };
    return { ...only, chunks: [only] };
  }
  const { config, policy, lander } = resolved;
  logWorkerHeapOnce((line) => context.log(line));
  const [{ processEventChunks, batchKey }, { landChunks, chunkTotals }] = await Promise.all([import('../pipeline.js'), import('../land/lastResort.js')]);

  const events = eventsFromTrigger(messages, context, config.KUBESIFT_AKS_HUB);
  const chunks = await landChunks(processEventChunks(events, { policy, now: batchClock(context), defaultCluster: config.KUBESIFT_DEFAULT_CLUSTER }), {
    config,
    lander,
    context,
    events,
    label: 'aks',
    processed: (key, { events: part, result }) => {
      const s = result.summary;
      const line = `aks ${key}: ${part.length} events, ${s.records} records → AksAudit ${s.rows.AksAudit ?? 0}, AksControlPlane ${s.rows.AksControlPlane ?? 0}, detections ${s.detections}, dead letters ${s.deadLetters}${s.duplicates ? `, repeated audit events dropped ${s.duplicates}` : ''}`;
      if (s.deadLetters > 0) {
        const reasons = new Map<string, number>();
        for (const dl of result.deadLetters) reasons.set(dl.reason, (reasons.get(dl.reason) ?? 0) + 1);
        context.warn(`${line} (${[...reasons].map(([r, n]) => `${r}×${n}`).join(', ')})`);
      } else context.log(line);
    },
    landed: (key, _chunk, land) => context.log(`aks ${key}: landed via ${lander.kind}: ${JSON.stringify(land.rows)}, duplicates skipped ${land.duplicatesSkipped}`),
  });
  return { ...chunkTotals(chunks), batchKey: batchKey(events), chunks };
}

const binding = {
  connection: 'EventHubConnection',
  eventHubName: '%KUBESIFT_AKS_HUB%',
  consumerGroup: '%KUBESIFT_CONSUMER_GROUP%',
  cardinality: 'many' as const,
  dataType: 'binary',
};

eventHubTrigger('aksDiagnostics', {
  ...binding,
  // A thrown batch is retried (and not checkpointed) up to 8 times, 5 s doubling to 5 min
  // (≈ 15 min in all); after that the host checkpoints past it. The final retry writes the
  // batch whole to dead letters instead of throwing, so nothing is lost silently.
  retry: { strategy: 'exponentialBackoff', maxRetryCount: 8, minimumInterval: { seconds: 5 }, maximumInterval: { minutes: 5 } },
  handler: async (messages, context) => {
    await handleAksBatch(messages, context);
  },
});
