// Event Grid deliveries to POST /api/eventgrid, in either schema: Event Grid events (an
// array) or CloudEvents 1.0 (one event or a batch). Pure: it classifies the delivery and
// answers the handshakes; replaying a capture file is the caller's injected job.
import { z } from 'zod';
import { describeIssue, missingField } from '../http/issues.js';

export const SUBSCRIPTION_VALIDATION = 'Microsoft.EventGrid.SubscriptionValidationEvent';
export const CAPTURE_FILE_CREATED = 'Microsoft.EventHub.CaptureFileCreated';

const eventGridEvent = z.looseObject({
  id: z.string(),
  eventType: z.string(),
  subject: z.string().default(''),
  topic: z.string().optional(),
  eventTime: z.string().optional(),
  data: z.unknown(),
});
const cloudEvent = z.looseObject({
  specversion: z.string(),
  id: z.string(),
  type: z.string(),
  source: z.string(),
  subject: z.string().default(''),
  time: z.string().optional(),
  data: z.unknown(),
});

/** One delivered event, schema-neutral. */
export interface GridEvent {
  id: string;
  type: string;
  subject: string;
  data: unknown;
}

export const captureFileCreatedData = z.looseObject({
  fileUrl: z.url(),
  fileType: z.string().optional(),
  // Required: positions, and so batch keys and dedupe, hang on it (a hand-built event that
  // left it out landed as partition 0's).
  partitionId: z.string().min(1),
  // Counts and positions are integers: `eventCount: 1e308` could never be met by a file.
  sizeInBytes: z.number().int().optional(),
  eventCount: z.number().int().optional(),
  firstSequenceNumber: z.number().int().optional(),
  lastSequenceNumber: z.number().int().optional(),
});
export type CaptureFileCreated = z.output<typeof captureFileCreatedData>;

/** `field`: the path of the failing part, from the event's index in the delivery; `error` starts with it. */
export function parseDelivery(json: unknown): { ok: true; events: GridEvent[] } | { ok: false; field: string; error: string } {
  const list = Array.isArray(json) ? json : [json];
  const events: GridEvent[] = [];
  for (const [i, item] of list.entries()) {
    const ce = cloudEvent.safeParse(item, { error: missingField });
    if (ce.success) {
      events.push({ id: ce.data.id, type: ce.data.type, subject: ce.data.subject, data: ce.data.data });
      continue;
    }
    const eg = eventGridEvent.safeParse(item, { error: missingField });
    if (eg.success) {
      events.push({ id: eg.data.id, type: eg.data.eventType, subject: eg.data.subject, data: eg.data.data });
      continue;
    }
    // Name the field of the schema the item claims: CloudEvents carry specversion.
    const claimsCloudEvent = item !== null && typeof item === 'object' && 'specversion' in item;
    const { field, text } = describeIssue(claimsCloudEvent ? ce.error : eg.error, [i]);
    return { ok: false, field, error: text };
  }
  return { ok: true, events };
}

/** Event hub name from the Capture event subject ("eventhubs/<hub>"), '' when absent. */
export function hubFromSubject(subject: string): string {
  const m = /(?:^|\/)eventhubs\/([^/]+)/i.exec(subject);
  return m?.[1] ?? '';
}

/** CloudEvents abuse-protection handshake (OPTIONS): echo the origin we are willing to accept. */
export function cloudEventsHandshake(headers: { get(name: string): string | null }): Record<string, string> | null {
  const origin = headers.get('webhook-request-origin');
  if (!origin) return null;
  return { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*' };
}
