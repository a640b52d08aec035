// Newline-delimited JSON (ADX `multijson`) for landing, written straight into one Buffer
// per payload: no joined intermediate string, one UTF-8 encode.
//
// AksAudit lines carry only the columns landing writes by name, plus the audit Event's own
// JSON text under `Event` — the bytes the pipeline parsed, not a re-serialization of them.
// The JSON mapping reads every copied column (Verb, User, RequestObject, ...) from
// `$.Event.<path>` (kusto/pipelineTables.ts), so ADX gets exactly the values it would get
// from a fully serialized row, and the Function does not pay to write them twice.
import { AUDIT_EVENT, type AksAuditRow } from '../contracts.js';
import type { Column } from '../kusto/columns.js';
import { AksAuditColumns } from '../kusto/pipelineTables.js';
import { safeStringify, trimmedLength } from '../envelope/json.js';

/**
 * Buffer's own encoder method (present on every Buffer since Node 0.x, untyped in @types/node).
 * `buf.write(s, offset)` is a JS wrapper that re-validates its arguments and dispatches on
 * the encoding name on every call; at ~10 calls per line that wrapper cost more than the copy.
 */
type Utf8Writable = Buffer & { utf8Write(s: string, offset: number): number };

const allocBuffer = (size: number): Utf8Writable => Buffer.allocUnsafe(size) as Utf8Writable;

/** Up to this many characters or bytes, a JS copy loop beats a native call. */
const SHORT = 48;

/** Appends UTF-8 to a growing Buffer. */
export class Utf8Builder {
  private buf: Utf8Writable;
  private len = 0;

  constructor(capacity: number) {
    this.buf = allocBuffer(Math.max(1024, capacity));
  }

  write(s: string): void {
    const room = this.buf.length - this.len;
    // A UTF-16 unit encodes to at most 3 bytes: only near the end is the exact size needed.
    if (s.length * 3 > room) {
      const need = Buffer.byteLength(s);
      if (need > room) this.grow(need);
    }
    this.len += this.buf.utf8Write(s, this.len);
  }

  /**
   * A JSON string literal of `s`, written without building it as a string first. Short
   * printable-ASCII values (times, positions: most named columns) are copied in place one
   * character per byte, which is cheaper than a native encoder call at these lengths.
   */
  writeJsonString(s: string): void {
    const n = s.length;
    if (n <= SHORT && n + 2 <= this.buf.length - this.len) {
      const buf = this.buf;
      let o = this.len + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) break;
        buf[o++] = c;
      }
      if (i === n) {
        buf[this.len] = 0x22;
        buf[o++] = 0x22;
        this.len = o;
        return;
      }
      // Something to escape or encode: nothing committed (len unchanged), the general path below.
    }
    if (needsEscape(s)) {
      this.write(JSON.stringify(s));
      return;
    }
    if (n * 3 + 2 > this.buf.length - this.len) this.grow(Buffer.byteLength(s) + 2);
    const buf = this.buf;
    buf[this.len++] = 0x22;
    this.len += buf.utf8Write(s, this.len);
    buf[this.len++] = 0x22;
  }

  /** Already-encoded bytes (short ones copied in a loop, like writeJsonString). */
  writeBytes(b: Uint8Array): void {
    const n = b.length;
    if (n > this.buf.length - this.len) this.grow(n);
    if (n <= SHORT) {
      const buf = this.buf;
      let o = this.len;
      for (let i = 0; i < n; i++) buf[o++] = b[i]!;
      this.len = o;
      return;
    }
    this.buf.set(b, this.len);
    this.len += n;
  }

  private grow(need: number): void {
    const next = allocBuffer(Math.max(this.buf.length * 2, this.len + need + 1024));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /**
   * Drops trailing bytes <= 0x20 (JSON whitespace: space, tab, CR, LF). Only for right after
   * a JSON text that ends in a non-whitespace byte (an Event's '}'), or it eats what came before.
   */
  trimEnd(): void {
    const buf = this.buf;
    let n = this.len;
    while (n > 0 && (buf[n - 1] as number) <= 0x20) n--;
    this.len = n;
  }

  /** The bytes written (a view: the builder must not be written again). */
  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

type Row = Record<string, unknown>;

/** Characters a JSON string must escape (and surrogates, which JSON.stringify checks for pairing). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * NEEDS_ESCAPE.test(s). Short strings (times, positions, names: most column values) are
 * scanned inline — a regex call costs more than the scan itself at these lengths.
 */
function needsEscape(s: string): boolean {
  if (s.length > SHORT) return NEEDS_ESCAPE.test(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

/** JSON string literal; the common case (nothing to escape) without JSON.stringify's call cost. */
export const jsonString = (s: string): string => (needsEscape(s) ? JSON.stringify(s) : `"${s}"`);

/** JSON of one scalar column value (rows hold string | number | boolean | null there). */
const scalar = (v: unknown): string =>
  typeof v === 'string' ? jsonString(v) : typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) ? String(v) : v !== null && typeof v === 'object' ? safeStringify(v) : 'null';

/** Columns of a line landing writes by name: those whose mapping path is their own name. */
const named = (cols: readonly Column[]): readonly Column[] => cols.filter((c) => c.path === undefined);

// AksAudit, precompiled from the column table. Columns that are the same for every record of
// one pod (category, pod, resource id, cluster) are encoded once per run of equal values.
const AUDIT_NAMED = named(AksAuditColumns);
const PER_SOURCE = new Set(['Category', 'PodName', 'ResourceId', 'Cluster']);
const AUDIT_ROW_COLS = AUDIT_NAMED.filter((c) => !PER_SOURCE.has(c.name)).map((c) => c.name);
const AUDIT_SOURCE_COLS = AUDIT_NAMED.filter((c) => PER_SOURCE.has(c.name)).map((c) => c.name);
const AUDIT_ROW_KEYS = AUDIT_ROW_COLS.map((n, i) => `${i === 0 ? '{' : ','}${JSON.stringify(n)}:`);
const AUDIT_SOURCE_KEYS = AUDIT_SOURCE_COLS.map((n) => `,${JSON.stringify(n)}:`);
const EVENT_KEY = ',"Event":';
/** Bytes per line besides the Event text, for the first guess of the buffer size. */
const AUDIT_LINE_GUESS = 512;

/** The Event of a row as one-line JSON: its landed text, else the parsed object serialized. */
export function auditEventJson(row: AksAuditRow): string {
  const src = eventText(row);
  const end = trimmedLength(src);
  return end === src.length ? src : src.slice(0, end);
}

/**
 * auditEventJson, except that a landed text keeps the trailing whitespace it arrived with
 * (normalize keeps it: envelope/json.ts oneLineJson); auditNdjson drops those bytes after
 * copying the text whole.
 */
function eventText(row: AksAuditRow): string {
  const src = (row as unknown as Record<symbol, unknown>)[AUDIT_EVENT];
  if (typeof src === 'string') return src;
  if (src !== undefined) return safeStringify(src);
  // A row built without the normalizer: put the copied columns back where the mapping reads
  // them. Objects the row holds are shared, never written into: only containers made here are.
  const ev: Record<string, unknown> = {};
  const mine = new Set<object>([ev]);
  for (const c of AksAuditColumns) if ('path' in c) setPath(ev, c.event, (row as unknown as Row)[c.name], mine);
  return safeStringify(ev);
}

function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown, mine: Set<object>): void {
  if (value === null || value === undefined || value === '') return;
  let cur = root;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    let next = cur[k];
    if (next === undefined) {
      next = /^\d+$/.test(path[i + 1]!) ? [] : {};
      mine.add(next as object);
      cur[k] = next;
    }
    if (next === null || typeof next !== 'object' || !mine.has(next)) return;
    cur = next as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (cur[last] === undefined) cur[last] = value;
}

// The per-row writer below reads these columns by name (a keyed read with a column name from
// a table is a generic property lookup, several times slower in this loop). The lists are
// the table's: a change to AksAuditColumns that alters them stops this module from loading
// until the writer is updated (test/land-ndjson.test.ts loads it).
const ROW_COLS_BY_HAND = ['TimeGenerated', 'RequestReceivedTime', 'StageReceivedTime', 'Truncated', 'Position'];
const SOURCE_COLS_BY_HAND = ['Category', 'PodName', 'ResourceId', 'Cluster'];
if (AUDIT_ROW_COLS.join() !== ROW_COLS_BY_HAND.join() || AUDIT_SOURCE_COLS.join() !== SOURCE_COLS_BY_HAND.join())
  throw new Error(`land/ndjson.ts: AksAudit named columns changed (${AUDIT_ROW_COLS.join()} / ${AUDIT_SOURCE_COLS.join()}); update auditNdjson`);

/** Key prefixes and constants as bytes, copied into the output instead of re-encoded per row. */
const [K_TIME, K_RECEIVED, K_STAGE, K_TRUNCATED, K_POSITION] = AUDIT_ROW_KEYS.map((k) => Buffer.from(k, 'utf8')) as [Buffer, Buffer, Buffer, Buffer, Buffer];
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');
const LINE_END = Buffer.from('}\n', 'utf8');
/** Distinct (category, pod, resource id, cluster) encodings kept per payload; pods interleave. */
const SOURCE_CACHE = 16;

interface SourceBytes {
  category: string;
  pod: string;
  resourceId: string;
  cluster: string;
  bytes: Buffer;
}

/** The encoded shared columns of `row` (and the Event key), from the cache when seen recently. */
function sourceBytes(row: AksAuditRow, cache: SourceBytes[]): Buffer {
  for (let i = 0; i < cache.length; i++) {
    const c = cache[i]!;
    if (row.PodName === c.pod && row.Cluster === c.cluster && row.ResourceId === c.resourceId && row.Category === c.category) return c.bytes;
  }
  const values = [row.Category, row.PodName, row.ResourceId, row.Cluster];
  const entry: SourceBytes = {
    category: row.Category,
    pod: row.PodName,
    resourceId: row.ResourceId,
    cluster: row.Cluster,
    bytes: Buffer.from(values.map((v, k) => AUDIT_SOURCE_KEYS[k]! + scalar(v)).join('') + EVENT_KEY, 'utf8'),
  };
  if (cache.length >= SOURCE_CACHE) cache.pop();
  cache.unshift(entry);
  return entry.bytes;
}

/** A time column: canonical text or null. */
function writeTime(out: Utf8Builder, v: string | null): void {
  if (typeof v === 'string') out.writeJsonString(v);
  else out.writeBytes(NULL);
}

/**
 * AksAudit rows → multijson: named columns + `"Event":<the Event's JSON>`. Each line is
 * written into the Buffer piece by piece (keys as pre-encoded bytes, values encoded in
 * place): no line is built as a string, so landing leaves no per-row garbage behind.
 */
export function auditNdjson(rows: readonly AksAuditRow[]): Buffer {
  const events: string[] = new Array<string>(rows.length);
  let size = 0;
  for (let i = 0; i < rows.length; i++) {
    const e = eventText(rows[i]!);
    events[i] = e;
    size += e.length + AUDIT_LINE_GUESS;
  }
  const out = new Utf8Builder(size);
  const cache: SourceBytes[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    out.writeBytes(K_TIME);
    writeTime(out, row.TimeGenerated);
    out.writeBytes(K_RECEIVED);
    writeTime(out, row.RequestReceivedTime);
    out.writeBytes(K_STAGE);
    writeTime(out, row.StageReceivedTime);
    out.writeBytes(K_TRUNCATED);
    out.writeBytes(row.Truncated === true ? TRUE : row.Truncated === false ? FALSE : NULL);
    out.writeBytes(K_POSITION);
    if (typeof row.Position === 'string') out.writeJsonString(row.Position);
    else out.write(scalar(row.Position));
    out.writeBytes(sourceBytes(row, cache));
    out.write(events[i]!);
    // The text's own trailing whitespace (AKS's '\n'); the Event ends with '}' before it.
    out.trimEnd();
    out.writeBytes(LINE_END);
  }
  return out.finish();
}

/** Any rows → multijson, one JSON.stringify per row (key order = the row's, i.e. table order). */
export function rowsNdjson(rows: readonly unknown[]): Buffer {
  const lines: string[] = new Array<string>(rows.length);
  let size = 0;
  for (let i = 0; i < rows.length; i++) {
    const l = JSON.stringify(rows[i]);
    lines[i] = l;
    size += l.length + 1;
  }
  const out = new Utf8Builder(size + (size >> 3));
  for (let i = 0; i < lines.length; i++) {
    out.write(lines[i]!);
    out.write('\n');
  }
  return out.finish();
}
