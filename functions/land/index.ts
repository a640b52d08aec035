// Chooses the sink from configuration (KUBESIFT_SINK) and builds the lander once per process.
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Config, SINKS } from '../config.js';
import { blobServiceFor, kcsbFor, requireUrl } from './clients.js';
import { blobSink } from './blobSink.js';
import { DeadLetterStore } from './deadLetters.js';
import { directSink, managedSink, queuedSink, streamingSink } from './kustoSinks.js';
import { errorText } from '../errorText.js';
import { makeLander, type ClosableLander } from './lander.js';
import type { RetryOptions } from './retry.js';
import type { TableSink } from './sink.js';

export type SinkKind = (typeof SINKS)[number];
export { deadLetterBatch } from './deadLetters.js';
export { LandError, type ClosableLander } from './lander.js';

export interface LanderDeps {
  config: Config;
  /** Storage for landing files and dead letters; default from the config. */
  blobService?: BlobServiceClient;
  /** Backoff sleep (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
}

const SINK_FACTORIES: Record<SinkKind, (deps: LanderDeps, blob: () => BlobServiceClient) => TableSink> = {
  blob: ({ config }, blob) => blobSink(blob(), config.KUBESIFT_LANDING_CONTAINER),
  queued: ({ config }) =>
    queuedSink(kcsbFor(requireUrl(config.KUBESIFT_KUSTO_INGEST_URL, 'KUBESIFT_KUSTO_INGEST_URL'), config), config.KUBESIFT_KUSTO_DATABASE, config.KUBESIFT_INGEST_TAGS === 'batch'),
  streaming: ({ config }) =>
    streamingSink(kcsbFor(requireUrl(config.KUBESIFT_KUSTO_CLUSTER_URL, 'KUBESIFT_KUSTO_CLUSTER_URL'), config), config.KUBESIFT_KUSTO_DATABASE, config.KUBESIFT_STREAMING_MAX_BYTES),
  managed: (deps) => {
    const { config } = deps;
    return managedSink(
      SINK_FACTORIES.streaming(deps, () => blobServiceFor(config)),
      SINK_FACTORIES.queued(deps, () => blobServiceFor(config)),
      config.KUBESIFT_STREAMING_MAX_BYTES,
      (err) => deps.log?.(`managed sink: streaming failed, falling back to queued: ${errorText(err)}`),
    );
  },
  direct: ({ config }) =>
    directSink(kcsbFor(requireUrl(config.KUBESIFT_KUSTO_CLUSTER_URL, 'KUBESIFT_KUSTO_CLUSTER_URL'), config), config.KUBESIFT_KUSTO_DATABASE, config.KUBESIFT_LAND_TIMEOUT_MS),
};

export function retryOptions(config: Config, deps: Pick<LanderDeps, 'sleep' | 'log'> = {}): RetryOptions {
  const opts: RetryOptions = {
    retries: config.KUBESIFT_LAND_RETRIES,
    baseMs: config.KUBESIFT_LAND_RETRY_BASE_MS,
    timeoutMs: config.KUBESIFT_LAND_TIMEOUT_MS,
    onRetry: (attempt, err) => deps.log?.(`land retry ${attempt}: ${errorText(err)}`),
  };
  if (deps.sleep) opts.sleep = deps.sleep;
  return opts;
}

export function createLander(kind: SinkKind, deps: LanderDeps): ClosableLander {
  let service = deps.blobService;
  const blob = (): BlobServiceClient => (service ??= blobServiceFor(deps.config));
  const sink = SINK_FACTORIES[kind](deps, blob);
  const deadLetters = new DeadLetterStore(blob(), deps.config.KUBESIFT_DEADLETTER_CONTAINER);
  return makeLander(sink, deadLetters, retryOptions(deps.config, deps));
}

const cache = new WeakMap<Config, Promise<ClosableLander>>();

/** The configured lander, built once per process (per config object). */
export async function getLander(config: Config): Promise<ClosableLander> {
  let l = cache.get(config);
  if (!l) {
    l = Promise.resolve().then(() => createLander(config.KUBESIFT_SINK, { config, log: (line) => console.warn(line) }));
    cache.set(config, l);
  }
  return l;
}
export { landOrDeadLetter, isFinalAttempt, type LandOutcome, type RetryState } from './lastResort.js';
