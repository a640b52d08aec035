// A small JSON request body read with a byte limit (POST /api/datasets, /api/ui/preview):
// refused on its Content-Length, then on the bytes actually received, before anything is
// parsed. (The Functions host buffers a request before the worker sees it unless HTTP
// streaming is on, so this bounds what the function parses and keeps, not what the host
// accepts: docs/local.md, "Webhooks".)
import { declaredTooLarge, readBodyLimited } from '../webhooks/body.js';

export type JsonBody = { ok: true; value: unknown } | { ok: false; status: 400 | 413; error: string };

export async function readJsonBody(req: { headers: { get(name: string): string | null }; body: AsyncIterable<Uint8Array> | null }, maxBytes: number): Promise<JsonBody> {
  const tooLarge: JsonBody = { ok: false, status: 413, error: `body larger than ${maxBytes} bytes` };
  if (declaredTooLarge(req.headers.get('content-length'), maxBytes)) return tooLarge;
  const read = await readBodyLimited(req.body, maxBytes);
  if (!read.ok) return tooLarge;
  try {
    let text = Buffer.from(read.bytes).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, error: 'body must be JSON' };
  }
}
