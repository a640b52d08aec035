// Linux audit records as auditd writes them to /var/log/audit/audit.log.
// Untrusted strings (EXECVE args, PROCTITLE, comm, exe, cwd, name, acct) follow the kernel's
// rule (audit_log_n_untrustedstring → audit_string_contains_control): a value is written as
// upper-case hex of its bytes when any byte is '"', below 0x21 (space and control characters)
// or above 0x7e (DEL and every non-ASCII UTF-8 byte); otherwise it is written in double quotes.

const HEX = '0123456789ABCDEF';

/** The kernel's test on the value's bytes. */
export function auditNeedsHex(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0x22 || b < 0x21 || b > 0x7e) return true;
  }
  return false;
}

function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    out += HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}

/** Encode an untrusted string value: `"value"` or HEX. */
export function auditUntrusted(value: string): string {
  // ASCII fast path avoids the UTF-8 encode for the common case.
  let ascii = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22 || c < 0x21 || c > 0x7e) {
      ascii = false;
      break;
    }
  }
  if (ascii) return `"${value}"`;
  return hexOf(Buffer.from(value, 'utf8'));
}

/** Kernel MAX_PROCTITLE_AUDIT_LEN: the proctitle record carries at most 128 bytes. */
export const MAX_PROCTITLE_AUDIT_LEN = 128;

/** PROCTITLE value: argv joined by NUL bytes (so any multi-arg title is hex), truncated to 128 bytes. */
export function auditProctitle(argv: readonly string[]): string {
  const full = Buffer.from(argv.join('\0'), 'utf8');
  const bytes = full.length > MAX_PROCTITLE_AUDIT_LEN ? full.subarray(0, MAX_PROCTITLE_AUDIT_LEN) : full;
  return auditNeedsHex(bytes) ? hexOf(bytes) : `"${bytes.toString('latin1')}"`;
}

/** EXECVE body: `argc=N a0=... a1=...`, each argument encoded by the kernel's rule. */
export function auditExecveArgs(argv: readonly string[]): string {
  let out = `argc=${argv.length}`;
  for (let i = 0; i < argv.length; i++) out += ` a${i}=${auditUntrusted(argv[i] as string)}`;
  return out;
}

/** `audit(1704067200.123:42)` from epoch milliseconds and the serial. */
export function auditStamp(epochMs: number, serial: number): string {
  const s = Math.floor(epochMs / 1000);
  const ms = epochMs - s * 1000;
  return `audit(${s}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}:${serial})`;
}

/** One record line: `node=HOST type=TYPE msg=audit(...): body` (node= when a name is given). */
export function auditRecord(node: string, type: string, stamp: string, body: string): string {
  return `${node ? `node=${node} ` : ''}type=${type} msg=${stamp}: ${body}`;
}

/**
 * Body of a user-space (PAM) record: `pid=.. uid=.. auid=.. ses=.. subj=.. msg='op=... acct=".." ... res=..'`.
 * `fields` are written in order; `acct`, `exe` and the like are encoded like kernel strings.
 */
export function auditUserMsg(
  head: { pid: number; uid: number; auid: number; ses: number; subj: string },
  fields: readonly (readonly [string, string, 'untrusted' | 'plain'])[],
): string {
  let inner = '';
  for (const [k, v, kind] of fields) inner += (inner ? ' ' : '') + k + '=' + (kind === 'untrusted' ? auditUntrusted(v) : v);
  return `pid=${head.pid} uid=${head.uid} auid=${head.auid} ses=${head.ses} subj=${head.subj} msg='${inner}'`;
}

/** Decode a value as auditd tools do: quoted → text, hex → bytes as UTF-8 (NULs → spaces). */
export function auditDecode(v: string): string {
  if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') return v.slice(1, -1);
  if (/^[0-9A-F]+$/.test(v) && v.length % 2 === 0) return Buffer.from(v, 'hex').toString('utf8').replace(/\0/g, ' ');
  return v;
}
