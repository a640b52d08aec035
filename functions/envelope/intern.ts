// One shared copy of strings that repeat from record to record. JSON.parse gives every string
// value longer than 10 characters a fresh copy (V8 shares only shorter ones), so each row of
// a body would otherwise hold its own copy of the same resource id, pod, category, stage or
// user agent — and a batch's rows stay alive until it is landed, so every young-generation
// GC copies those duplicates along. Equal strings are indistinguishable in JS: only memory
// and GC work change.

/** Distinct strings kept; past this the table starts over (bounded memory, no LRU cost). */
const MAX_ENTRIES = 2048;
/** Longest string shared (characters): with MAX_ENTRIES, the table holds at most ~2 MB. */
export const MAX_SHARED_LENGTH = 512;
const table = new Map<string, string>();
/**
 * The last shared string seen per length (mod RECENT), checked first: comparing two equal
 * strings costs one memcmp, while a Map lookup must first hash the fresh copy (a full scan).
 * Records repeat runs of the same pod, resource id and stage, so most lookups stop here.
 */
const RECENT = 256;
const recent: string[] = new Array<string>(RECENT).fill('');

/** The shared copy of `s` (`s` itself the first time it is seen). */
export function intern(s: string): string {
  // JSON.parse already shares strings of 10 characters or fewer; long ones rarely repeat,
  // and the table outlives the batch: 2048 request URIs of 500 KB would pin 1 GB.
  if (s.length <= 10 || s.length > MAX_SHARED_LENGTH) return s;
  const i = s.length & (RECENT - 1);
  const last = recent[i]!;
  if (last === s) return last;
  let hit = table.get(s);
  if (hit === undefined) {
    if (table.size >= MAX_ENTRIES) table.clear();
    table.set(s, s);
    hit = s;
  }
  recent[i] = hit;
  return hit;
}
