// Event Hub trigger metadata → positions and batch clock. One definition of "where a record
// came from", shared by every Event Hub trigger (aksDiagnostics, webhookEvents) and kept out
// of the trigger files so no trigger imports another. Pure: no registration side effects.
import type { InvocationContext } from '@azure/functions';
import type { EventInput } from '../contracts.js';

interface TriggerMetadataShape {
  partitionContext?: { eventHubName?: unknown; partitionId?: unknown };
  sequenceNumberArray?: unknown;
  offsetArray?: unknown;
  enqueuedTimeUtcArray?: unknown;
}

const at = (arr: unknown, i: number): unknown => (Array.isArray(arr) ? arr[i] : undefined);

/** An enqueued time as the host passes it (ISO text or a Date) in epoch ms; NaN when unreadable. */
const enqueuedMs = (t: unknown): number => (t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : Number.NaN);

/** A position's enqueued time in the one form batch keys hash (ISO, ms); none when unreadable. */
export function withEnqueued(ms: number): { enqueuedTime?: string } {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? { enqueuedTime: new Date(ms).toISOString() } : {};
}

/**
 * Messages + trigger metadata → EventInputs with positions (hub, partition, sequence number,
 * offset, enqueued time). Missing metadata (local tools) falls back to the message index.
 */
export function eventsFromTrigger(messages: unknown, context: InvocationContext, hubName = 'aks-diagnostics'): EventInput[] {
  const list = Array.isArray(messages) ? messages : [messages];
  const md = (context.triggerMetadata ?? {}) as TriggerMetadataShape;
  const pc = md.partitionContext ?? {};
  const source = typeof pc.eventHubName === 'string' && pc.eventHubName ? pc.eventHubName : hubName;
  const partitionId = pc.partitionId === undefined || pc.partitionId === null ? '' : String(pc.partitionId);
  return list.map((body, i) => {
    const seq = Number(at(md.sequenceNumberArray, i));
    const offset = at(md.offsetArray, i);
    return {
      body,
      position: {
        source,
        partitionId,
        sequenceNumber: Number.isFinite(seq) ? seq : i,
        offset: offset === undefined || offset === null ? '' : String(offset),
        ...withEnqueued(enqueuedMs(at(md.enqueuedTimeUtcArray, i))),
      },
    };
  });
}

/**
 * Detection clock for a batch: the latest enqueued time in it, so a redelivered batch is
 * evaluated exactly as the first time (same detections, same ids). Wall clock as fallback.
 */
export function batchClock(context: InvocationContext): Date {
  const arr = (context.triggerMetadata as TriggerMetadataShape | undefined)?.enqueuedTimeUtcArray;
  return clockAt(Array.isArray(arr) ? latestMs(arr, enqueuedMs) : -Infinity);
}

/** A batch's clock from its latest enqueued time (-Infinity: none readable, the wall clock). */
export const clockAt = (latestMs: number): Date => (latestMs === -Infinity ? new Date() : new Date(latestMs));

/** The clock of events read back (dead letters keep each event's enqueued time): as batchClock gave it. */
export const clockOfEvents = (events: readonly EventInput[]): Date =>
  clockAt(latestMs(events, (e) => (e.position.enqueuedTime === undefined ? NaN : Date.parse(e.position.enqueuedTime))));

/** The largest of `ms` over `items` (-Infinity when none is a number). */
function latestMs<T>(items: Iterable<T>, ms: (item: T) => number): number {
  let max = -Infinity;
  for (const x of items) {
    const v = ms(x);
    if (v > max) max = v; // NaN never is
  }
  return max;
}
