// "Preview the first lines" for the page: the first N lines of exactly the dataset the same
// request would write (same count, seed and clock — a smaller count would move the scenarios
// and an end-bounded clock), produced lazily and stopped early, so a 1,000,000-event request
// previews as fast as a 10-event one. Nothing is written to storage.
import { events } from '../generate/engine.js';
import { logTypeDef, resolveRequest, type ResolvedRequest } from '../generate/index.js';
import { TimeFormat } from '../generate/time.js';

export const PREVIEW_LINES = 20;
/** Lines longer than this are cut (an eventhub body can hold hundreds of records). */
export const PREVIEW_LINE_CHARS = 2_000;

export interface Preview {
  logType: string;
  format: string;
  lines: string[];
  /** True when a line was shortened for display. */
  truncated: boolean;
}

/** First `max` lines of the dataset for an already-validated request (throws PlanError like generation). */
export function previewLines(request: Parameters<typeof resolveRequest>[0], max = PREVIEW_LINES): Preview {
  const req: ResolvedRequest = resolveRequest(request);
  const def = logTypeDef(req.logType);
  const enc = def.encoder(req.format, req, new TimeFormat());
  const lines: string[] = [];
  let pending = enc.head();
  let nextId = 1;

  const take = (final: boolean): void => {
    // A line without its terminator: CSV and Windows formats end lines with CRLF.
    const parts = pending.split(/\r?\n/);
    pending = final ? '' : (parts.pop() ?? '');
    for (const p of parts) if (lines.length < max && (p !== '' || !final)) lines.push(p);
  };

  for (const { event } of events(def, req)) {
    pending += enc.event(event, nextId);
    nextId += def.records(event);
    take(false);
    if (lines.length >= max) break;
  }
  if (lines.length < max) {
    pending += enc.tail();
    take(true);
  }
  let truncated = false;
  const shown = lines.slice(0, max).map((l) => {
    if (l.length <= PREVIEW_LINE_CHARS) return l;
    truncated = true;
    return `${l.slice(0, PREVIEW_LINE_CHARS)}… (${l.length.toLocaleString('en-US')} characters)`;
  });
  return { logType: req.logType, format: req.format, lines: shown, truncated };
}
