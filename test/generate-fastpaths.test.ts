// The generators' fast paths hold the bytes of the straightforward code they replaced: each
// is compared here with that code (written out again as the reference) on ordinary and
// hostile values. The golden hashes in generate.test.ts pin whole datasets; these pin the
// parts, including inputs the datasets never contain.
import { describe, expect, it } from 'vitest';
import {
  auditEventJson,
  auditEventObject,
  diagnosticRecord,
  diagnosticRecordBytes,
  diagnosticRecordJson,
  diagnosticRecordWriter,
  httplogLineJson,
  httplogMessage,
  klogHeader,
  klogLine,
  type AuditEventFields,
  type HttplogFields,
} from '../functions/generate/encoders/aks.js';
import { cefExtensionValue, cefHeaderField, isCefKey } from '../functions/generate/encoders/cef.js';
import { headerField, rfc5424, rfc5424Writer, sdParamValue } from '../functions/generate/encoders/syslog.js';
import { EVENT_SCHEMAS, KEYWORD_FAILURE, KEYWORD_SUCCESS, SECURITY_AUDITING_GUID, SECURITY_AUDITING_PROVIDER, windowsEventXml, writeWindowsEventXml, xmlEscape, type WindowsEventXml } from '../functions/generate/encoders/windows.js';
import { ByteWriter, textOf } from '../functions/generate/bytes.js';
import { Rng } from '../functions/generate/prng.js';
import { TimeFormat } from '../functions/generate/time.js';

// Strings that need every kind of escaping, and some that need none.
const NASTY = ['', 'plain', 'a"b', 'back\\slash', 'x]y', 'tab\there', 'line\nbreak\r', '\u0000\u001f\u007f', 'pipe|eq=amp&lt<gt>\'', 'é ü 日本', '\ud83d\ude00', 'lone \ud800 high', 'lone \udfff low', 'sp ace', '"\\"', '='.repeat(40), 'x'.repeat(300)];

/** Deterministic random strings over a hostile alphabet. */
function randomStrings(n: number, seed: number): string[] {
  const rng = new Rng(seed, 'fastpaths');
  const alphabet = ['a', 'Z', '0', ' ', '"', '\\', ']', '|', '=', '&', '<', '>', "'", '\n', '\r', '\t', '\u0001', '\u007f', 'é', '\ud800', '\udc00', '/', ':', '-'];
  return Array.from({ length: n }, () => Array.from({ length: rng.int(24) }, () => rng.pick(alphabet)).join(''));
}
const SAMPLES = [...NASTY, ...randomStrings(400, 1)];

/** Microsecond times the byte paths must format as the text paths do. */
const TIMES_US = [0, 1, 999_999, 1_704_067_200_000_000, 1_704_067_199_999_999, 1_704_067_200_123_456.5, -1, -1_000_001, -86_400_000_000_123, 253_402_300_799_999_999, 253_402_300_800_000_000, 253_402_300_800_000_001 * 3, 2 ** 53 + 2, 8.64e18];

const FROZEN = Object.freeze([Object.freeze({ type: 'Memory"Pressure' }), Object.freeze({ type: 'Ready' })]);

describe('AKS records without JSON.stringify of the whole', () => {
  const base: AuditEventFields = {
    level: 'Metadata', auditID: 'ac4d5320-0000-4abc-8def-0123456789ab', stage: 'ResponseComplete', requestURI: '/api/v1/nodes?watch=true', verb: 'get',
    user: { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] }, sourceIP: '10.0.0.1', userAgent: 'kubelet/v1.29.7',
    objectRef: { resource: 'nodes', name: 'n1', apiVersion: 'v1' }, code: 200,
    requestReceivedTimestamp: '2024-01-01T00:00:00.000001Z', stageTimestamp: '2024-01-01T00:00:00.000002Z', decision: 'allow', reason: '',
  };
  const odd: unknown[] = [null, true, false, 0, -0, 1.5, 1e21, -1e-7, Number.NaN, Number.POSITIVE_INFINITY, [], {}, [undefined, () => 1, null], { a: undefined, b: () => 1, c: 1 },
    { 2: 'two', 1: 'one', z: 'z', '-1': 'm' }, new Date(0), { toJSON: () => 'custom' }, { nested: { deeper: [{ x: 'a"b\\c\n' }] } }, Object.create(null) as object, 'text',
    // Frozen values (JSON cached by identity), met again inside an unfrozen one.
    FROZEN, { order: FROZEN, n: 1 }, Object.freeze({ a: undefined, b: Object.freeze(['x"y']) })];
  const variants: AuditEventFields[] = [
    base,
    { ...base, objectRef: undefined },
    { ...base, status: { status: 'Failure', message: 'configmaps "x" not found', reason: 'NotFound' }, code: 404 },
    { ...base, status: { code: 'first', metadata: 'kept in place', 0: 'index first' } },
    { ...base, status: {} },
    { ...base, level: 'Request', requestObject: { spec: { containers: [{ name: 'm', securityContext: { privileged: true } }] }, n: null } },
    { ...base, level: 'RequestResponse', requestObject: [1, 'a'], responseObject: { metadata: { creationTimestamp: null } } },
    { ...base, level: 'Metadata', requestObject: { ignored: true }, responseObject: { ignored: true } },
    ...odd.map((v) => ({ ...base, level: 'RequestResponse', requestObject: v, responseObject: v })),
    // Numeric times (written as digits) against their text: ordinary, either side of 1970 and 10000, fractional.
    ...TIMES_US.map((us, i) => ({ ...base, requestReceivedTimestamp: us, stageTimestamp: TIMES_US[(i + 1) % TIMES_US.length]! })),
    // auditID drawn as a Uuid (written from its words).
    ...Array.from({ length: 50 }, (_, i) => ({ ...base, auditID: new Rng(i, 'audit').uuidWords() })),
    ...SAMPLES.map((s, i) => ({
      ...base, level: s, auditID: s, stage: s, requestURI: s, verb: s, userAgent: s, sourceIP: s, decision: s, reason: s, requestReceivedTimestamp: s, stageTimestamp: s,
      user: { username: s, groups: [s, 'g'], [s]: s }, objectRef: { [s]: s, resource: s }, code: i,
    })),
  ];

  it('auditEventJson is JSON.stringify of auditEventObject, plain and inside a string', () => {
    for (const a of variants) {
      const text = JSON.stringify(auditEventObject(a));
      expect(auditEventJson(a)).toBe(text);
      expect(auditEventJson(a, true)).toBe(JSON.stringify(text).slice(1, -1));
    }
  });

  it('diagnosticRecordJson is JSON.stringify of diagnosticRecord for text, audit Events and access lines', () => {
    const rid = '/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS';
    for (const [i, s] of SAMPLES.entries()) {
      const stream = i % 2 ? 'stdout' : 'stderr';
      expect(diagnosticRecordJson(s, rid + s, s, s, s, s, stream)).toBe(JSON.stringify(diagnosticRecord(s, rid + s, s, s, s, s, stream)));
    }
    // The per-cluster writer, its caches warm and cold, on the same records.
    const write = diagnosticRecordWriter(rid);
    for (const [i, s] of [...SAMPLES, ...SAMPLES].entries()) {
      const stream = i % 3 ? 'stdout' : 'stderr';
      const pod = SAMPLES[i % 7] as string;
      expect(write(s.slice(0, 3), s, pod, SAMPLES[i % 5] as string, s, stream)).toBe(JSON.stringify(diagnosticRecord(s.slice(0, 3), rid, s, pod, SAMPLES[i % 5] as string, s, stream)));
    }
    // Numeric `time` (written as digits) is the text TimeFormat.iso(t, 7) gives.
    const tf = new TimeFormat();
    for (const us of TIMES_US) {
      const text = textOf((w) => diagnosticRecordBytes(rid, tf)(w, 'kube-audit', us, 'p', 'c', 'log', 'stdout'));
      expect(text).toBe(JSON.stringify(diagnosticRecord('kube-audit', rid, tf.iso(us, 7), 'p', 'c', 'log', 'stdout')));
    }
    for (const a of variants) {
      const log = auditEventJson(a) + '\n';
      expect(write('kube-audit', 't', 'p', 'c', { audit: a }, 'stdout')).toBe(JSON.stringify(diagnosticRecord('kube-audit', rid, 't', 'p', 'c', log, 'stdout')));
      expect(diagnosticRecordJson('kube-audit', rid, 't', 'p', 'c', { audit: a }, 'stdout')).toBe(JSON.stringify(diagnosticRecord('kube-audit', rid, 't', 'p', 'c', log, 'stdout')));
    }
  });

  it('access lines in parts: plain text as before, JSON text equal to JSON.stringify of it', () => {
    const goQuote = (s: string): string => JSON.stringify(s);
    const ids = new Rng(5, 'ids');
    // The access line as it was first written (the reference).
    const reference = (f: HttplogFields): string =>
      `"HTTP" verb=${goQuote(f.verb)} URI=${goQuote(f.uri)} latency=${goQuote(f.latency)} userAgent=${goQuote(f.userAgent)} audit-ID=${goQuote(String(f.auditId))} srcIP=${goQuote(`${f.srcIp}:${f.srcPort}`)} apf_pl="global-default" apf_fs="global-default" apf_execution_time=${goQuote(f.latency)} resp=${f.resp}`;
    for (const [i, s] of SAMPLES.entries()) {
      const f: HttplogFields = { verb: s, uri: `/api/${s}`, latency: `${s}ms`, userAgent: s, auditId: i % 3 === 0 ? ids.uuidWords() : s, srcIp: s, srcPort: 30000 + i, resp: 200 + i };
      const head = klogHeader('I', `0101 00:00:00.00000${i % 10}`, i, `file${s}.go`, i);
      const line = head + reference(f);
      expect(httplogMessage(f)).toBe(reference(f));
      expect(klogLine('I', `0101 00:00:00.00000${i % 10}`, i, `file${s}.go`, i, reference(f))).toBe(line);
      expect(httplogLineJson({ head, httplog: f })).toBe(JSON.stringify(line));
      expect(diagnosticRecordJson('kube-apiserver', 'R', 't', 'p', 'c', { head, httplog: f }, 'stderr')).toBe(JSON.stringify(diagnosticRecord('kube-apiserver', 'R', 't', 'p', 'c', line, 'stderr')));
    }
  });
});

describe('escapes with a copy-free fast path', () => {
  // The loops the fast paths were added to (the reference).
  const refXml = (s: string): string => {
    let out = '';
    for (const ch of s.split('')) {
      const c = ch.charCodeAt(0);
      out += ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '"' ? '&quot;' : ch === "'" ? '&apos;' : c === 10 ? '&#10;' : c === 13 ? '&#13;' : c === 9 ? '&#9;' : c < 32 ? '\uFFFD' : ch;
    }
    return out;
  };
  const refCefHeader = (v: string): string => v.split('').map((ch) => (ch === '\\' || ch === '|' ? '\\' + ch : ch === '\n' || ch === '\r' ? ' ' : ch)).join('');
  const refCefExt = (v: string): string => v.split('').map((ch) => (ch === '\\' || ch === '=' ? '\\' + ch : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch)).join('');
  const refSd = (v: string): string => v.split('').map((ch) => (ch === '"' || ch === '\\' || ch === ']' ? '\\' + ch : ch)).join('');
  const refHeader = (v: string, max: number): string => (v === '' ? '-' : v.slice(0, max).split('').map((ch) => (ch.charCodeAt(0) < 33 || ch.charCodeAt(0) > 126 ? '_' : ch)).join(''));

  it('give what the plain loops give', () => {
    for (const s of SAMPLES) {
      expect(xmlEscape(s)).toBe(refXml(s));
      expect(cefHeaderField(s)).toBe(refCefHeader(s));
      expect(cefExtensionValue(s)).toBe(refCefExt(s));
      expect(sdParamValue(s)).toBe(refSd(s));
      for (const max of [1, 5, 32, 255]) expect(headerField(s, max)).toBe(refHeader(s, max));
      expect(isCefKey(s)).toBe(/^[A-Za-z0-9_]+$/.test(s));
    }
    expect(['src', 'cs1Label', 'a_9'].map(isCefKey)).toEqual([true, true, true]);
  });

  it('RFC 5424 lines written into bytes are the bytes of rfc5424 text', () => {
    const tf = new TimeFormat();
    const write = rfc5424Writer(tf);
    const utf8Text = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');
    const sds = [null, [], [{ id: 'timeQuality', params: [['tzKnown', '1'], ['isSynced', '0']] as const }], [{ id: 'x@1', params: [['p', 'a"b\\c]d']] as const }, { id: 'y', params: [] }]];
    for (const [i, s] of [...SAMPLES, ...SAMPLES].entries()) {
      const us = 1_704_067_200_000_000 + i * 987_654;
      const pid = [0, -1, 1, 29551, 4_194_303, 1.5][i % 6]!;
      const host = SAMPLES[i % 11]!;
      const sd = sds[i % sds.length]!;
      const line = rfc5424(i % 200, tf.iso(us, 6), host, s.slice(0, 9), pid > 0 ? String(pid) : '', SAMPLES[i % 13]!, sd, s) + '\n';
      expect(textOf((w) => write(w, i % 200, us, host, s.slice(0, 9), pid, SAMPLES[i % 13]!, sd, s))).toBe(utf8Text(line));
    }
    expect(() => textOf((w) => write(w, 13, 0, 'h', 'a', 1, '', [{ id: 'bad id', params: [] }], 'm'))).toThrow(/SD-ID/);
  });

  it('Windows event XML from per-id templates equals the element written field by field', () => {
    const reference = (e: WindowsEventXml): string => {
      const s = EVENT_SCHEMAS[e.eventId]!;
      let data = '';
      for (const f of s.fields) data += `<Data Name="${f}">${refXml(e.data[f] ?? '-')}</Data>`;
      return (
        `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="${SECURITY_AUDITING_PROVIDER}" Guid="${SECURITY_AUDITING_GUID}"/>` +
        `<EventID>${e.eventId}</EventID><Version>${s.version}</Version><Level>0</Level><Task>${s.task}</Task><Opcode>0</Opcode>` +
        `<Keywords>${s.failure ? KEYWORD_FAILURE : KEYWORD_SUCCESS}</Keywords><TimeCreated SystemTime="${e.systemTime}"/>` +
        `<EventRecordID>${e.recordId}</EventRecordID><Correlation/><Execution ProcessID="${e.processId}" ThreadID="${e.threadId}"/>` +
        `<Channel>Security</Channel><Computer>${refXml(e.computer)}</Computer><Security/></System><EventData>${data}</EventData></Event>`
      );
    };
    const tf = new TimeFormat();
    for (const [i, id] of Object.keys(EVENT_SCHEMAS).map(Number).entries()) {
      for (const s of SAMPLES) {
        const fields = EVENT_SCHEMAS[id]!.fields;
        const data = Object.fromEntries(fields.filter((_, k) => (k + i) % 3 !== 0).map((f) => [f, s + f]));
        const e: WindowsEventXml = { eventId: id, systemTime: '2024-01-01T00:00:00.0000000Z', recordId: i, processId: 4, threadId: 9, computer: s, data };
        expect(windowsEventXml(e)).toBe(reference(e));
        // The byte writer (caches cold, then full past their bound): the bytes of the text, the time as digits.
        const utf8Text = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');
        expect(textOf((w) => writeWindowsEventXml(w, e, tf))).toBe(utf8Text(reference(e)));
        const us = 1_704_067_200_000_000 + i * 1_234_567 + s.length;
        expect(textOf((w) => writeWindowsEventXml(w, { ...e, systemTime: us, recordId: us }, tf))).toBe(utf8Text(reference({ ...e, systemTime: tf.iso(us, 7), recordId: us })));
      }
    }
    expect(() => windowsEventXml({ eventId: 1, systemTime: '', recordId: 0, processId: 0, threadId: 0, computer: '', data: {} })).toThrow(/unsupported/);
  });
});

describe('ByteWriter numbers and chunks', () => {
  it('int, digits and hex write the text String, padStart and toString(16) give', () => {
    const ints = [0, -0, 1, 9, 10, 99, 100, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 999_999_999_999, Number.MAX_SAFE_INTEGER, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 2 ** 53 + 2];
    for (const n of ints) expect(textOf((w) => w.int(n))).toBe(String(n));
    for (const [n, width] of [[0, 6], [7, 6], [999_999, 6], [9_999_990, 7], [2 ** 31 + 7, 10], [12, 3]] as const) expect(textOf((w) => w.digits(n, width))).toBe(String(n).padStart(width, '0'));
    for (const [n, width] of [[0, 8], [0xffffffff, 8], [0xabc, 3], [0x4fff, 4], [0x1234abcd, 8]] as const) expect(textOf((w) => w.hex(n, width))).toBe(n.toString(16).padStart(width, '0'));
  });

  it('cuts chunks at the size asked for, larger for a piece that does not fit, in order', () => {
    const chunks: Buffer[] = [];
    const w = new ByteWriter(16, (c) => chunks.push(c));
    const text = ['0123456789', 'abcdefghij', 'x'.repeat(40), 'é日\ud83d\ude00', 'end'];
    for (const t of text) w.str(t);
    w.bytes(new Uint8Array([0x21]));
    w.flush();
    expect(Buffer.concat(chunks).toString('utf8')).toBe(text.join('') + '!');
    expect(chunks.every((c) => c.length > 0)).toBe(true);
    expect(Math.max(...chunks.map((c) => c.length))).toBeGreaterThanOrEqual(40);
  });
});

describe('Rng formatting by table', () => {
  it('hex and uuid give the text of the toString(16) code, from the same draws', () => {
    const a = new Rng(42, 'hex');
    const b = new Rng(42, 'hex');
    const refHex = (r: Rng, n: number): string => {
      let s = '';
      while (s.length < n) s += r.u32().toString(16).padStart(8, '0');
      return s.slice(0, n);
    };
    const refUuid = (r: Rng): string => {
      const h = refHex(r, 32);
      const v = ((parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    };
    for (let i = 0; i < 3000; i++) {
      const n = i % 70;
      expect(a.hex(n)).toBe(refHex(b, n));
      expect(a.uuid()).toBe(refUuid(b));
      // The same draws as words: its text, and the bytes it writes.
      const u = a.uuidWords();
      const text = refUuid(b);
      expect(String(u)).toBe(text);
      expect(textOf((w) => u.write(w))).toBe(text);
    }
    expect(a.u32()).toBe(b.u32());
  });

  it('weighted picks as the summing loop does', () => {
    const table = [['a', 0.1], ['b', 3], ['c', 1e-9], ['d', 2.5]] as const;
    const a = new Rng(7, 'w');
    const b = new Rng(7, 'w');
    const ref = (r: Rng): string => {
      let total = 0;
      for (const [, w] of table) total += w;
      let x = r.float() * total;
      for (const [item, w] of table) {
        x -= w;
        if (x < 0) return item;
      }
      return table[table.length - 1]![0];
    };
    for (let i = 0; i < 5000; i++) expect(a.weighted(table)).toBe(ref(b));
  });
});

describe('TimeFormat cached per second', () => {
  // Straight from the Date object (the reference for the whole 1970-9999 range).
  const refIso = (us: number, digits: number): string => {
    const d = new Date(Math.floor(us / 1000)).toISOString().slice(0, 19);
    const micro = String(us - Math.floor(us / 1e6) * 1e6).padStart(6, '0');
    return `${d}${digits > 0 ? '.' + (digits <= 6 ? micro.slice(0, digits) : micro + '0'.repeat(digits - 6)) : ''}Z`;
  };
  it('ISO, BSD and klog text of ordered and jumping times', () => {
    const tf = new TimeFormat();
    const rng = new Rng(3, 'times');
    const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    let t = Date.parse('2023-12-31T23:59:58Z') * 1000;
    for (let i = 0; i < 20000; i++) {
      t = i % 500 === 0 ? rng.range(0, 2 ** 31) * 1e6 * 100 + rng.int(1e6) : t + rng.int(i % 3 === 0 ? 3_000_000 : 40_000);
      const digits = i % 10;
      expect(tf.iso(t, digits)).toBe(refIso(t, digits));
      const iso = refIso(t, 6);
      const d = new Date(Math.floor(t / 1000));
      const day = d.getUTCDate();
      expect(tf.bsd(t)).toBe(`${MONTHS[d.getUTCMonth()]} ${day < 10 ? ' ' : ''}${day} ${iso.slice(11, 19)}`);
      expect(tf.klog(t)).toBe(`${iso.slice(5, 7)}${iso.slice(8, 10)} ${iso.slice(11, 26)}`);
    }
  });

  it('writeIso and writeMicro write the text iso and micro give', () => {
    const tf = new TimeFormat();
    const rng = new Rng(4, 'times');
    let t = Date.parse('2023-12-31T23:59:58Z') * 1000;
    const times = [...TIMES_US, ...Array.from({ length: 5000 }, (_, i) => (t = i % 500 === 0 ? rng.range(0, 2 ** 31) * 1e6 * 100 + rng.int(1e6) : t + rng.int(3_000_000)))];
    for (const us of times) {
      for (const digits of [6, 7] as const) expect(textOf((w) => tf.writeIso(w, us, digits))).toBe(tf.iso(us, digits));
      expect(textOf((w) => tf.writeMicro(w, us))).toBe(tf.micro(us));
    }
    // 1 s + 1 µs before the epoch is 23:59:58.999999 of the day before. These used to come out
    // as '…58.0000-1Z' (a negative remainder) and '+010000-01-01T00:00.000000Z' (seconds cut off).
    expect([tf.micro(1_704_067_200_000_001), tf.micro(-1_000_001), tf.micro(253_402_300_800_000_000)]).toEqual(['2024-01-01T00:00:00.000001Z', '1969-12-31T23:59:58.999999Z', '+010000-01-01T00:00:00.000000Z']);
  });

  it('micro writes RFC 3339 for times before 1970, as toISOString does for the millisecond', () => {
    const tf = new TimeFormat();
    const rng = new Rng(5, 'pre-1970');
    const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
    // From a few minutes before the epoch (a request received before a 1970 start) to year 1.
    const times = [-1, -999_999, -1_000_000, -540_000_000, ...Array.from({ length: 2000 }, (_, i) => -rng.range(1, 600_000_000) * (i % 2 ? 1 : 100_000))];
    for (const us of times) {
      const text = tf.micro(us);
      expect(text, String(us)).toMatch(rfc3339);
      // toISOString gives the millisecond; the last three digits are the microseconds past it.
      const ms = Math.floor(us / 1000);
      expect(text, String(us)).toBe(`${new Date(ms).toISOString().slice(0, -1)}${String(us - ms * 1000).padStart(3, '0')}Z`);
      expect(textOf((w) => tf.writeMicro(w, us))).toBe(text);
    }
  });
});
