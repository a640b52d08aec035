// What the webhook HTTP function puts on the webhook hub. Runtime alerts and audit events
// from many clusters share one hub, so every message says which sender and cluster it is
// from; `events` is last so chunks can be spliced into the shell as text (see batching).
import { z } from 'zod';
import { chunkItems } from '../eventhub/batching.js';
import { WEBHOOK_AUDIT_CATEGORY } from '../envelope/index.js';
import type { SourceName } from './sources.js';

export const WEBHOOK_MESSAGE_TYPE = 'kubesift.webhook/v1';

export const webhookMessageSchema = z.object({
  type: z.literal(WEBHOOK_MESSAGE_TYPE),
  source: z.enum(['k8s-audit', 'falco', 'kubearmor']),
  cluster: z.string(),
  receivedTime: z.string(),
  events: z.array(z.unknown()),
});
export type WebhookMessage = z.output<typeof webhookMessageSchema>;

type MessageHead = { source: SourceName; cluster: string; receivedTime: string };

const shellOf = (head: MessageHead): string => JSON.stringify({ type: WEBHOOK_MESSAGE_TYPE, ...head, events: [] });

/** Categories of the webhook pipeline's record dead letters → the sender that made them. */
const SOURCE_OF_CATEGORY: Readonly<Record<string, SourceName>> = {
  [WEBHOOK_AUDIT_CATEGORY]: 'k8s-audit',
  falco: 'falco',
  kubearmor: 'kubearmor',
};
/** The category of dead letters that hold a whole hub message (it could not be read). */
export const WHOLE_MESSAGE_CATEGORY = 'webhook';

/**
 * A hub message again around one dead-lettered event or alert, so replay sends it down the
 * path it took (its sender's, its cluster). The event's text is spliced in as it is, byte for
 * byte. Undefined when the dead letter holds no single event: a whole message that could not
 * be read (WHOLE_MESSAGE_CATEGORY), replayed as it is.
 */
export function messageForDeadLetter(d: { category?: string; cluster?: string; raw: string }, receivedTime: string): string | undefined {
  const source = d.category === undefined ? undefined : SOURCE_OF_CATEGORY[d.category];
  if (source === undefined) return undefined;
  return chunkItems([d.raw], shellOf({ source, cluster: d.cluster ?? 'unknown', receivedTime }), Infinity).texts[0]!;
}

/**
 * Pack validated events into as few hub messages as fit under maxBytes each.
 * Returns null when a single event alone is too large (the request is refused whole).
 */
export function packWebhookMessages(
  head: MessageHead,
  events: readonly unknown[],
  maxBytes: number,
): string[] | null {
  const { texts, oversize } = chunkItems(events.map((e) => JSON.stringify(e)), shellOf(head), maxBytes);
  return oversize.length ? null : texts;
}
