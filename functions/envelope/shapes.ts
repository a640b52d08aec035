// What an object in an Event Hub body is, as the envelope reads it (envelope/index.ts
// unwrapObject, first match wins: an Event, a diagnostic record, both lists, an EventList,
// {records}). Shared with the splitter of bodies over the event limit (eventhub/batching.ts),
// so a body is cut along the list the envelope will read, or not at all.

export function isEventLike(o: Record<string, unknown>): boolean {
  return o.kind === 'Event' || (typeof o.auditID === 'string' && typeof o.stage === 'string');
}

export function isRecordLike(o: Record<string, unknown>): boolean {
  return o.properties !== undefined && (o.category !== undefined || o.operationName !== undefined);
}

/** An EventList that also carries records: which list to read is a guess, so it is refused whole. */
export const bothLists = (o: Record<string, unknown>): boolean => o.kind === 'EventList' && Array.isArray(o.records) && o.records.length > 0;
