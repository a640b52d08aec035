// Webhook sender authentication, on top of the Functions key the host already checked.
// A sender proves it holds the per-source secret either as a Bearer token (Kubernetes
// audit webhook kubeconfig `token`, Falcosidekick custom header) or as an HMAC-SHA256 of
// the raw body (relays that can sign). Both compares are constant-time over fixed-length
// digests, so neither the secret's length nor a matching prefix leaks through timing.
// A signer may also send the Unix time it signed at; the HMAC then covers `<time>.<body>`
// and a request older (or newer) than MAX_SIGNATURE_SKEW_S is refused, so a captured
// request cannot be replayed later. KUBESIFT_WEBHOOK_REQUIRE_TIMESTAMP makes the time
// mandatory for signed requests.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Headers carrying an HMAC-SHA256 of the raw body: `sha256=<hex>` (or bare hex). */
export const SIGNATURE_HEADERS = ['x-kubesift-signature-256', 'x-hub-signature-256'] as const;

/** Unix time in seconds at which the sender signed; part of the signed bytes when present. */
export const TIMESTAMP_HEADER = 'x-kubesift-timestamp';

/** Largest distance between a signed timestamp and the receiver's clock. */
export const MAX_SIGNATURE_SKEW_S = 300;

export type AuthOutcome =
  // `secret`: which of the given secrets proved the sender (its index), so a caller can apply what is bound to it.
  | { ok: true; method: 'bearer' | 'hmac-sha256' | 'hmac-sha256+timestamp'; secret: number }
  | { ok: false; reason: 'missing-credentials' | 'bad-credentials' | 'bad-timestamp' | 'stale-timestamp' | 'timestamp-required' };

export interface AuthOptions {
  /** The receiver's clock, for the timestamp window. */
  now: Date;
  /** Signed requests without a timestamp are refused. */
  requireTimestamp: boolean;
}

interface HeaderReader {
  get(name: string): string | null;
}

const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

/** Constant-time equality of two strings of any length (compares their SHA-256 digests). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** HMAC-SHA256 hex of the body, or of `<timestamp>.<body>` when the sender sent a timestamp. */
export function hmacHex(secret: string, body: Uint8Array, timestamp?: string): string {
  const mac = createHmac('sha256', secret);
  if (timestamp !== undefined) mac.update(`${timestamp}.`);
  return mac.update(body).digest('hex');
}

const UNIX_SECONDS = /^\d{1,12}$/;

/** `secrets`: every secret the source accepts (two while senders rotate); any one proves the sender. */
export function authenticate(secrets: readonly string[], headers: HeaderReader, rawBody: Uint8Array, opts: AuthOptions): AuthOutcome {
  for (const name of SIGNATURE_HEADERS) {
    const sig = headers.get(name);
    if (sig === null) continue;
    const hex = sig.trim().replace(/^sha256=/i, '').toLowerCase();
    const ts = headers.get(TIMESTAMP_HEADER)?.trim();
    if (ts === undefined && opts.requireTimestamp) return { ok: false, reason: 'timestamp-required' };
    if (ts !== undefined && !UNIX_SECONDS.test(ts)) return { ok: false, reason: 'bad-timestamp' };
    const secret = secrets.findIndex((s) => safeEqual(hex, hmacHex(s, rawBody, ts)));
    if (secret < 0) return { ok: false, reason: 'bad-credentials' };
    if (ts === undefined) return { ok: true, method: 'hmac-sha256', secret };
    // Checked after the MAC, so 'stale-timestamp' in the log means a genuine request that came too late (a replay, or clock skew).
    const skew = Math.abs(opts.now.getTime() / 1000 - Number(ts));
    return skew <= MAX_SIGNATURE_SKEW_S ? { ok: true, method: 'hmac-sha256+timestamp', secret } : { ok: false, reason: 'stale-timestamp' };
  }
  return bearer(secrets, headers);
}

/**
 * The outcome when the headers alone decide it (no signature header: a Bearer token or no
 * credentials at all), else null: an HMAC needs the body. Lets a receiver refuse an
 * unauthenticated request before it reads the body (the audit route is anonymous).
 */
export function authenticateHeaders(secrets: readonly string[], headers: HeaderReader): AuthOutcome | null {
  return SIGNATURE_HEADERS.some((name) => headers.get(name) !== null) ? null : bearer(secrets, headers);
}

function bearer(secrets: readonly string[], headers: HeaderReader): AuthOutcome {
  const auth = headers.get('authorization');
  if (auth === null) return { ok: false, reason: 'missing-credentials' };
  const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
  if (!m?.[1]) return { ok: false, reason: 'bad-credentials' };
  const secret = secrets.findIndex((s) => safeEqual(m[1]!, s));
  return secret < 0 ? { ok: false, reason: 'bad-credentials' } : { ok: true, method: 'bearer', secret };
}
