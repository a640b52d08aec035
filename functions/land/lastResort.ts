// The trigger-side rule that closes the loop: a sink error is thrown so the host's retry
// policy redelivers the batch (not checkpointed); on the LAST retry the batch is written whole
// to the dead-letter container instead, and the invocation succeeds so the host can move on.
// If even the dead-letter write fails, the error propagates: nothing is acknowledged silently.
import type { Config } from '../config.js';
import type { BatchResult, EventInput, LandReport, Lander } from '../contracts.js';
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
    return { deadLettered: await deadLetterBatch(args.config, args.events, error), error };
  }
}
