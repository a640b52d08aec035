// Syslog encoders: RFC 3164 (BSD) and RFC 5424. Pure functions over formatted fields.
import { escapeBytes, FragmentCache, utf8, type ByteWriter } from '../bytes.js';
import type { TimeFormat } from '../time.js';

export const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;
export const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

export const NILVALUE = '-';

/** PRI value: facility * 8 + severity. */
export const pri = (facility: number, severity: number): number => facility * 8 + severity;

/**
 * Control characters would split or corrupt a line-oriented file; escape them the way
 * rsyslog does (#ooo, three octal digits), e.g. LF → #012. Printable text is untouched.
 */
export function escapeControl(s: string): string {
  // Fast path: nothing to do for ordinary messages.
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 127) break;
  }
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c < 32 || c === 127 ? '#' + c.toString(8).padStart(3, '0') : s[i];
  }
  return out;
}

/**
 * RFC 3164: `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG` — `bsdTime` already has the
 * space-padded day ("Jan  5"). `priValue` null omits the PRI (as in files written by
 * rsyslog/syslog-ng). `pid` <= 0 omits `[PID]`.
 */
export function rfc3164(priValue: number | null, bsdTime: string, hostname: string, tag: string, pid: number, msg: string): string {
  return `${priValue === null ? '' : `<${priValue}>`}${bsdTime} ${hostname} ${tag}${pid > 0 ? `[${pid}]` : ''}: ${escapeControl(msg)}`;
}

/** SD-PARAM value escaping (RFC 5424 §6.3.3): `"`, `\` and `]` get a backslash. */
export function sdParamValue(v: string): string {
  let i = 0;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 34 || c === 92 || c === 93) break;
  }
  if (i === v.length) return v;
  let out = v.slice(0, i);
  for (; i < v.length; i++) {
    const ch = v[i] as string;
    out += ch === '"' || ch === '\\' || ch === ']' ? '\\' + ch : ch;
  }
  return out;
}

/** SD-NAME (SD-ID / PARAM-NAME): 1-32 printable ASCII except `=`, space, `]`, `"`. */
export function isSdName(s: string): boolean {
  if (s.length < 1 || s.length > 32) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 33 || c > 126 || c === 61 || c === 93 || c === 34) return false;
  }
  return true;
}

export interface SdElement {
  id: string;
  params: readonly (readonly [string, string])[];
}

/** STRUCTURED-DATA: NILVALUE when there is no element. */
export function structuredData(sd: readonly SdElement[] | null): string {
  if (!sd || sd.length === 0) return NILVALUE;
  let out = '';
  for (const el of sd) {
    if (!isSdName(el.id)) throw new Error(`invalid SD-ID: ${JSON.stringify(el.id)}`);
    out += '[' + el.id;
    for (const [name, value] of el.params) {
      if (!isSdName(name)) throw new Error(`invalid PARAM-NAME: ${JSON.stringify(name)}`);
      out += ` ${name}="${sdParamValue(value)}"`;
    }
    out += ']';
  }
  return out;
}

/** Header field: NILVALUE when empty; spaces/non-printables are not allowed there, so they become '_'. */
export function headerField(v: string, max: number): string {
  if (v === '') return NILVALUE;
  // Fast path: a printable field within its length is written as is.
  let i = 0;
  for (; i < v.length && i < max; i++) {
    const c = v.charCodeAt(i);
    if (c < 33 || c > 126) break;
  }
  if (i === v.length) return v;
  let out = v.slice(0, i);
  for (; i < v.length && i < max; i++) {
    const c = v.charCodeAt(i);
    out += c < 33 || c > 126 ? '_' : v[i];
  }
  return out;
}

/** `<PRI>1 ` for every valid PRI (0-191), so a line does not format its number. */
const PRI_V1: readonly string[] = Array.from({ length: 192 }, (_, p) => `<${p}>1 `);

/**
 * RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [SP MSG]`.
 * `timestamp` is RFC 3339 (at most 6 fractional digits) or '' for NILVALUE.
 */
export function rfc5424(
  priValue: number,
  timestamp: string,
  hostname: string,
  appName: string,
  procId: string,
  msgId: string,
  sd: readonly SdElement[] | null,
  msg: string,
): string {
  const head = `${PRI_V1[priValue] ?? `<${priValue}>1 `}${timestamp || NILVALUE} ${headerField(hostname, 255)} ${headerField(appName, 48)} ${headerField(procId, 128)} ${headerField(msgId, 32)} ${structuredData(sd)}`;
  return msg === '' ? head : `${head} ${escapeControl(msg)}`;
}

const PRI_V1_BYTES: readonly Uint8Array[] = PRI_V1.map(utf8);
/** What escapeControl rewrites (non-ASCII bytes are checked too). */
const CONTROL_NEEDS = escapeBytes((c) => c < 32 || c === 127);
const NIL = 0x2d;
const SP = 0x20;
const LF = 0x0a;

/** Writes one RFC 5424 line and its '\n'; the time is microseconds (`tf.iso(us, 6)`), the PROCID a pid (none when <= 0). */
export type Rfc5424Writer = (w: ByteWriter, priValue: number, us: number, hostname: string, appName: string, pid: number, msgId: string, sd: readonly SdElement[] | null, msg: string) => void;

/**
 * rfc5424(...) + '\n' into a writer (the same bytes, test/generate-fastpaths): the PRI from a
 * table, the time as digits, the header fields from small sets (hosts, apps, MSGIDs) cached
 * as bytes with the spaces around them, the message checked for control characters as its
 * bytes go out.
 */
export function rfc5424Writer(tf: TimeFormat): Rfc5424Writer {
  const hosts = new FragmentCache((h) => ' ' + headerField(h, 255) + ' ');
  const apps = new FragmentCache((a) => headerField(a, 48) + ' ');
  const msgIds = new FragmentCache((m) => ' ' + headerField(m, 32) + ' ');
  return (w, priValue, us, hostname, appName, pid, msgId, sd, msg) => {
    // Checked before anything is written, as rfc5424 would throw before returning text.
    const sdText = sd && sd.length > 0 ? structuredData(sd) : null;
    const p = PRI_V1_BYTES[priValue];
    if (p) w.bytes(p);
    else w.str(`<${priValue}>1 `);
    tf.writeIso(w, us, 6);
    w.bytes(hosts.get(hostname));
    w.bytes(apps.get(appName));
    // String(pid) of a positive number is printable and short: headerField leaves it alone.
    if (pid > 0) w.int(pid);
    else w.byte(NIL);
    w.bytes(msgIds.get(msgId));
    if (sdText === null) w.byte(NIL);
    else w.str(sdText);
    if (msg !== '') {
      w.byte(SP);
      w.escaped(msg, escapeControl, CONTROL_NEEDS);
    }
    w.byte(LF);
  };
}
