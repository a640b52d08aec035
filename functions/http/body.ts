// Request bodies: read with a hard byte limit (Content-Length first, a cheap refusal, then
// the bytes actually received, since the header may be absent or lie) and parsed as JSON.
// Webhooks, Event Grid, POST /api/datasets and /api/ui/preview read theirs here. (The
// Functions host buffers a request before the worker sees it unless HTTP streaming is on,
// so the limit bounds what a function parses and keeps, not what the host accepts.)
import { isUtf8 } from 'node:buffer';

/**
 * The `field` of a 400 about the body as a whole (not JSON, empty, the wrong type at the top):
 * the word its message starts with, the same on every route.
 */
export const BODY_FIELD = 'body';

export type LimitedBody = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'too-large'; received: number };

export function declaredTooLarge(contentLength: string | null, maxBytes: number): boolean {
  if (contentLength === null) return false;
  const n = Number(contentLength);
  return Number.isFinite(n) && n > maxBytes;
}

export async function readBodyLimited(body: AsyncIterable<Uint8Array> | null, maxBytes: number): Promise<LimitedBody> {
  if (!body) return { ok: true, bytes: new Uint8Array(0) };
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of body) {
    received += chunk.byteLength;
    // Stop reading at once: nothing of an oversize body is kept or forwarded.
    if (received > maxBytes) return { ok: false, reason: 'too-large', received };
    chunks.push(chunk);
  }
  return { ok: true, bytes: Buffer.concat(chunks) };
}

/**
 * JSON of UTF-8 bytes or text, a leading BOM allowed; `text`: what was parsed. Bytes that are
 * not UTF-8 are refused rather than decoded with U+FFFD in place of what the sender wrote.
 * `error` says which: 'body: not valid UTF-8', 'body: empty, expected JSON' or 'body: not valid JSON'.
 */
export function parseJson(body: Uint8Array | string): { ok: true; value: unknown; text: string } | { ok: false; error: string } {
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (!isUtf8(buf)) return { ok: false, error: `${BODY_FIELD}: not valid UTF-8` };
    text = buf.toString('utf8');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return { ok: false, error: `${BODY_FIELD}: empty, expected JSON` };
  try {
    return { ok: true, value: JSON.parse(text), text };
  } catch {
    return { ok: false, error: `${BODY_FIELD}: not valid JSON` };
  }
}

export type JsonBody = { ok: true; value: unknown } | { ok: false; status: 400 | 413; error: string };

/** A small JSON body under `maxBytes` (POST /api/datasets, /api/ui/preview): 413 when larger, 400 when not JSON. */
export async function readJsonBody(req: { headers: { get(name: string): string | null }; body: AsyncIterable<Uint8Array> | null }, maxBytes: number): Promise<JsonBody> {
  const tooLarge: JsonBody = { ok: false, status: 413, error: `body larger than ${maxBytes} bytes` };
  if (declaredTooLarge(req.headers.get('content-length'), maxBytes)) return tooLarge;
  const read = await readBodyLimited(req.body, maxBytes);
  if (!read.ok) return tooLarge;
  const json = parseJson(read.bytes);
  return json.ok ? { ok: true, value: json.value } : { ok: false, status: 400, error: json.error };
}
