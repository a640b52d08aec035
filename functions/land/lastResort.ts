// The trigger-side rule that closes the loop: a sink error is thrown so the host's retry
// policy redelivers the batch (not checkpointed); on the LAST retry the batch is written whole
// to the dead-letter container instead, and the invocation succeeds so the host can move on.
// If even the dead-letter write fails, the error propagates: nothing is acknowledged silently.
import type { InvocationContext } from '@azure/functions';
import { loadStorageConfig, type Config } from '../config.js';
import type { BatchResult, EventInput, LandReport, Lander } from '../contracts.js';
import { eventsFromTrigger } from '../eventhub/triggerMetadata.js';
import { batchKey } from '../pipeline.js';
import { deadLetterBatch } from './deadLetters.js';
import { errorText } from './lander.js';

/** Shape of `InvocationContext.retryContext` (@azure/functions). */
export interface RetryState {
  retryCount: number;
  /** -1 = retry forever. */
  maxRetryCount: number;
}

export function isFinalAttempt(retry: RetryState | undefined): boolean {
  return retry !== undefined && retry.maxRetryCount >= 0 && retry.retryCount >= retry.maxRetryCount;
}

export type LandOutcome = { landed: LandReport } | { deadLettered: number; error: string };

export async function landOrDeadLetter(
  args: { config: Config; lander: Lander; result: BatchResult; batchKey: string; events: EventInput[]; retry: RetryState | undefined },
): Promise<LandOutcome> {
  try {
    return { landed: await args.lander.land(args.result, args.batchKey) };
  } catch (err) {
    if (!isFinalAttempt(args.retry)) throw err;
    const error = errorText(err);
    return { deadLettered: await deadLetterBatch(args.config, args.events, error, { batchKey: args.batchKey }), error };
  }
}

/**
 * For a trigger whose settings or policy do not load (they fail every attempt the same way):
 * rethrows before the final retry, so the host retries; on it, writes the messages whole to
 * dead letters (`settings-invalid`) with the settings given, else only the environment's
 * storage settings (the rest may be what failed), and logs it. Throws when even that fails:
 * nothing is acknowledged silently.
 */
export async function keepBatchOnFinalRetry(
  err: unknown,
  messages: unknown,
  context: InvocationContext,
  opts: { config?: Config; hub: 'KUBESIFT_AKS_HUB' | 'KUBESIFT_WEBHOOK_HUB'; label: string },
): Promise<{ batchKey: string; deadLettered: number }> {
  if (!isFinalAttempt(context.retryContext)) throw err;
  const cfg = opts.config ?? loadStorageConfig();
  const events = eventsFromTrigger(messages, context, cfg[opts.hub]);
  const key = batchKey(events);
  const error = errorText(err);
  const deadLettered = await deadLetterBatch(cfg, events, error, { reason: 'settings-invalid', batchKey: key });
  context.error(`${opts.label} ${key}: settings could not load on the final retry (${error}); ${deadLettered} event(s) written whole to dead letters`);
  return { batchKey: key, deadLettered };
}
