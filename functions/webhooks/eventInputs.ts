// Event Hub trigger batch (cardinality many) → EventInput[] with positions from the trigger
// metadata the host provides, so every record keeps partition/sequence/offset for dedupe.
import type { InvocationContext } from '@azure/functions';
import type { EventInput } from '../contracts.js';

interface BatchMetadata {
  partitionContext?: { partitionId?: string; eventHubName?: string };
  sequenceNumberArray?: unknown[];
  offsetArray?: unknown[];
}

export function eventInputsFrom(messages: readonly unknown[], context: InvocationContext, hub: string): EventInput[] {
  const meta = (context.triggerMetadata ?? {}) as BatchMetadata;
  const partitionId = meta.partitionContext?.partitionId ?? 'unknown';
  const source = meta.partitionContext?.eventHubName || hub;
  return messages.map((body, i) => {
    const seq = Number(meta.sequenceNumberArray?.[i]);
    return {
      body,
      position: {
        source,
        partitionId,
        // Without metadata (tests, odd hosts) fall back to the index: still stable within the batch.
        sequenceNumber: Number.isFinite(seq) ? seq : i,
        offset: String(meta.offsetArray?.[i] ?? ''),
      },
    };
  });
}
