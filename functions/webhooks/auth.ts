// Webhook sender authentication, on top of the Functions key the host already checked.
// A sender proves it holds the per-source secret either as a Bearer token (Kubernetes
// audit webhook kubeconfig `token`, Falcosidekick custom header) or as an HMAC-SHA256 of
// the raw body (relays that can sign). Both compares are constant-time over fixed-length
// digests, so neither the secret's length nor a matching prefix leaks through timing.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Headers carrying an HMAC-SHA256 of the raw body: `sha256=<hex>` (or bare hex). */
export const SIGNATURE_HEADERS = ['x-kubesift-signature-256', 'x-hub-signature-256'] as const;

export type AuthOutcome =
  | { ok: true; method: 'bearer' | 'hmac-sha256' }
  | { ok: false; reason: 'missing-credentials' | 'bad-credentials' };

interface HeaderReader {
  get(name: string): string | null;
}

const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

/** Constant-time equality of two strings of any length (compares their SHA-256 digests). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function hmacHex(secret: string, body: Uint8Array): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export function authenticate(secret: string, headers: HeaderReader, rawBody: Uint8Array): AuthOutcome {
  for (const name of SIGNATURE_HEADERS) {
    const sig = headers.get(name);
    if (sig === null) continue;
    const hex = sig.trim().replace(/^sha256=/i, '').toLowerCase();
    return safeEqual(hex, hmacHex(secret, rawBody)) ? { ok: true, method: 'hmac-sha256' } : { ok: false, reason: 'bad-credentials' };
  }
  const auth = headers.get('authorization');
  if (auth === null) return { ok: false, reason: 'missing-credentials' };
  const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
  if (!m?.[1]) return { ok: false, reason: 'bad-credentials' };
  return safeEqual(m[1], secret) ? { ok: true, method: 'bearer' } : { ok: false, reason: 'bad-credentials' };
}
