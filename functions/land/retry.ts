// Retry with exponential backoff and a per-attempt timeout. After the last attempt the error
// propagates: the Event Hub trigger's retry policy then redelivers the whole batch.
export interface RetryOptions {
  retries: number;
  baseMs: number;
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry (logging). */
  onRetry?: (attempt: number, err: unknown) => void;
}

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`sink attempt timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    const run = fn(attempt);
    try {
      return await withTimeout(run, opts.timeoutMs);
    } catch (err) {
      run.catch(() => undefined); // a timed-out attempt may still reject later
      if (attempt >= opts.retries) throw err;
      opts.onRetry?.(attempt + 1, err);
      // Full jitter would make tests non-deterministic; a fixed doubling is enough here.
      await sleep(opts.baseMs * 2 ** attempt);
    }
  }
}
