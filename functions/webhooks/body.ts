// Reading a request body with a hard byte limit: Content-Length is checked first (cheap
// refusal), then the bytes actually received, since the header may be absent or lie.

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
