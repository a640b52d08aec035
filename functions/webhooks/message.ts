// What the webhook HTTP function puts on the webhook hub. Runtime alerts and audit events
// from many clusters share one hub, so every message says which sender and cluster it is
// from; `events` is last so chunks can be spliced into the shell as text (see batching).
import { z } from 'zod';
import { chunkItems } from '../eventhub/batching.js';
import type { SourceName } from './sources.js';

export const WEBHOOK_MESSAGE_TYPE = 'kubesift.webhook/v1';

export const webhookMessageSchema = z.object({
  type: z.literal(WEBHOOK_MESSAGE_TYPE),
  source: z.enum(['k8s-audit', 'falco', 'kubearmor']),
  cluster: z.string(),
  // Set when the sender's secret is bound to `cluster`: an alert naming another cluster keeps this one.
  clusterPinned: z.literal(true).optional(),
  receivedTime: z.string(),
  events: z.array(z.unknown()),
});
export type WebhookMessage = z.output<typeof webhookMessageSchema>;

export type MessageHead = { source: SourceName; cluster: string; clusterPinned?: true; receivedTime: string };

/** The `clusterPinned` field of a message or dead letter: present (true) only when pinned, so unpinned ones keep their shape. */
export const pinnedField = (pinned: boolean | undefined): { clusterPinned?: true } => (pinned ? { clusterPinned: true } : {});

/** A hub message with no events: events are spliced in as text (eventhub/batching.ts chunkItems). */
export const messageShell = (head: MessageHead): string => JSON.stringify({ type: WEBHOOK_MESSAGE_TYPE, ...head, events: [] });

/**
 * Pack validated events, each as the JSON text its sender wrote, into as few hub messages as
 * fit under maxBytes each. Returns null when a single event alone is too large (the request
 * is refused whole).
 */
export function packWebhookMessages(head: MessageHead, eventTexts: readonly string[], maxBytes: number): string[] | null {
  const { texts, oversize } = chunkItems(eventTexts, messageShell(head), maxBytes);
  return oversize.length ? null : texts;
}
