import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLegacyAccess, parseMessage, stripPort } from '../functions/normalize/apiserver.js';
import { ContinuationContext, klogLineToRow } from '../functions/normalize/controlPlane.js';
import { goDurationMs } from '../functions/normalize/duration.js';
import { parsePairs, readGoQuoted } from '../functions/normalize/goquote.js';
import { parseKlogHeader } from '../functions/normalize/klog.js';
import { canonicalTime, timeMs } from '../functions/normalize/time.js';
import { diagRecord, input, rawRecord } from './support/records.js';
import { processEvents } from '../functions/pipeline.js';
import { defaultPolicy } from '../functions/detect/index.js';

const fixture = (name: string) => new URL(`./fixtures/aks/${name}`, import.meta.url);

describe('klog header', () => {
  it('parses severity, time, thread, file:line and maps Level', () => {
    const cases: [string, string, string][] = [
      ['I0301 10:00:00.000001       1 a.go:1] m', 'I', 'INFO'],
      ['W0301 10:00:00.000001       1 a.go:1] m', 'W', 'WARNING'],
      ['E0301 10:00:00.000001       1 a.go:1] m', 'E', 'ERROR'],
      ['F0301 10:00:00.000001       1 a.go:1] m', 'F', 'FATAL'],
    ];
    for (const [line, sev, level] of cases) {
      const row = klogLineToRow(rawRecord({ log: line }), line);
      expect(row.Severity).toBe(sev);
      expect(row.Level).toBe(level);
    }
    const row = klogLineToRow(rawRecord({ time: '2024-03-01T10:00:08Z' }), 'F0301 10:00:08.123456   74789 server.go:300] failed to start\n');
    expect(row).toMatchObject({
      TimeGenerated: '2024-03-01T10:00:08.123456Z',
      Thread: 74789,
      SourceFile: 'server.go',
      SourceLine: 300,
      LogMessage: 'failed to start',
      Message: 'F0301 10:00:08.123456   74789 server.go:300] failed to start',
      Position: '0/7/0',
    });
  });

  it('survives the damaged header of the SumoLogic controller-manager sample (thread collapsed into the fraction)', () => {
    const h = parseKlogHeader('I0624 07:27:25.9763861 event.go:221] Event(v1.ObjectReference{...})');
    expect(h).toMatchObject({ severity: 'I', micros: '976386', thread: 1, file: 'event.go', line: 221 });
  });

  it('a thread past 2^53 or a line past 2^31 is null, as its long / int column would hold it', () => {
    expect(parseKlogHeader('I0101 00:00:00.000000 99999999999999999999 a.go:1] x')).toMatchObject({ thread: null, line: 1 });
    expect(parseKlogHeader('I0101 00:00:00.000000 9007199254740991 a.go:2147483647] x')).toMatchObject({ thread: 9007199254740991, line: 2147483647 });
    expect(parseKlogHeader('I0101 00:00:00.000000 1 a.go:3000000000] x')).toMatchObject({ thread: 1, file: 'a.go', line: null });
    expect(parseKlogHeader('I0101 07:27:25.97638612345678901234567890 event.go:221] x')).toMatchObject({ micros: '976386', thread: null });
  });

  it('takes the year from the record time and handles the new-year boundary', () => {
    const dec = klogLineToRow(rawRecord({ time: '2025-01-01T00:00:01Z' }), 'I1231 23:59:59.999999       1 a.go:1] x');
    expect(dec.TimeGenerated).toBe('2024-12-31T23:59:59.999999Z');
    const jan = klogLineToRow(rawRecord({ time: '2024-12-31T23:59:59.9Z' }), 'I0101 00:00:00.000001       1 a.go:1] x');
    expect(jan.TimeGenerated).toBe('2025-01-01T00:00:00.000001Z');
    const none = klogLineToRow(rawRecord({ time: '' }), 'I0301 10:00:00.000001       1 a.go:1] x', undefined, new Date('2031-06-15T00:00:00Z'));
    expect(none.TimeGenerated).toBe('2031-03-01T10:00:00.000001Z');
  });

  it('without a record time, the batch clock gives the year, across the new year too', () => {
    const at = (log: string, now: string, time = '') => klogLineToRow(rawRecord({ time }), log, undefined, new Date(now)).TimeGenerated;
    expect(at('I1231 23:59:58.000001       1 a.go:1] x', '2026-01-01T00:00:03Z')).toBe('2025-12-31T23:59:58.000001Z');
    expect(at('I0101 00:00:01.000001       1 a.go:1] x', '2025-12-31T23:59:59Z')).toBe('2026-01-01T00:00:01.000001Z');
    expect(at('I0301 10:00:00.000001       1 a.go:1] x', '2031-06-01T00:00:00Z')).toBe('2031-03-01T10:00:00.000001Z');
    // An unparseable record time is no time either.
    expect(at('I1231 23:59:58.000001       1 a.go:1] x', '2026-01-01T00:00:03Z', 'yesterday')).toBe('2025-12-31T23:59:58.000001Z');
    // The record time, when usable, still wins over the clock.
    expect(at('I1231 23:59:58.000001       1 a.go:1] x', '2030-01-01T00:00:00Z', '2024-12-31T23:59:59Z')).toBe('2024-12-31T23:59:58.000001Z');
    // The pipeline hands normalize its batch clock, not only the clock's year.
    const record = diagRecord('kube-apiserver', 'I1231 23:59:58.000001       1 a.go:1] x\n', { time: undefined });
    const batch = processEvents([input({ records: [record] })], { policy: defaultPolicy('aks'), now: new Date('2026-01-01T00:00:03Z') });
    expect(batch.rows.AksControlPlane.map((r) => r.TimeGenerated)).toEqual(['2025-12-31T23:59:58.000001Z']);
  });

  it('rejects non-headers without throwing', () => {
    for (const s of ['', 'I', 'X0301 10:00:00.0 1 a.go:1] m', 'I1301 10:00:00.000000 1 a.go:1] m', 'I0301 10:00:00.000000 1 a.go:1 no bracket', 'I0301 10:00:00.000000']) {
      expect(parseKlogHeader(s)).toBeNull();
    }
  });
});

describe('kube-apiserver access lines: every generation (own fixtures)', () => {
  const lines = readFileSync(fixture('access-lines.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { gen: string; line: string; expect: Record<string, unknown> });
  it('has the five generations', () => expect(lines.length).toBeGreaterThanOrEqual(5));
  for (const { gen, line, expect: want } of lines) {
    it(gen, () => {
      const row = klogLineToRow(rawRecord({ log: line }), line);
      expect(row).toMatchObject(want);
    });
  }

  it('legacy G1/G2 with an empty user agent: the address alone, no leading space', () => {
    for (const line of ['GET /healthz: (120µs) 200 [ 10.0.0.9:5000]', 'GET /healthz:(120µs) 200 [ 10.0.0.9:5000]', 'GET /healthz: (120µs) 200 [[] 10.0.0.9:5000]'])
      expect(parseLegacyAccess(line), line).toMatchObject({ UserAgent: '', SourceIp: '10.0.0.9', ResponseCode: 200 });
  });

  it('legacy parser refuses lines that only look similar', () => {
    expect(parseLegacyAccess('GET is not a uri: (1ms) 200')).toBeNull();
    expect(parseLegacyAccess('PUT /x: (soon) 200')).toBeNull();
    expect(parseLegacyAccess('PUT /x: (1ms) OK')).toBeNull();
    expect(parseLegacyAccess('Put /x: (1ms) 200')).toBeNull();
  });

  it('a structured resp= is a 32-bit decimal integer (the column is ADX int) or null', () => {
    const code = (resp: string): unknown => {
      const line = `I0301 10:00:00.000000       1 httplog.go:132] "HTTP" verb="GET" URI="/healthz" latency="1ms" userAgent="kubelet" srcIP="10.0.0.1:1" resp=${resp}`;
      return klogLineToRow(rawRecord({ log: line }), line).ResponseCode;
    };
    expect([code('200'), code('0'), code('-1'), code('2147483647')]).toEqual([200, 0, -1, 2147483647]);
    for (const bad of ['2147483648', '1'.repeat(20), '0x1f', '1e3', '2.0', '""', '" 200"'])
      expect(code(bad), bad).toBeNull();
  });
});

describe('structured key=value lines (Go-quoted strings)', () => {
  it('decodes Go escapes', () => {
    expect(readGoQuoted('"a\\"b\\\\c\\n\\t\\u00e9\\x41\\101\\U0001F600"', 0)?.value).toBe('a"b\\c\n\té' + 'AA' + '😀');
    expect(readGoQuoted('"unterminated', 0)).toBeNull();
    expect(readGoQuoted('"trailing backslash\\', 0)).toBeNull();
  });

  it('puts the pairs in Fields, strings as logged', () => {
    const row = klogLineToRow(rawRecord(), 'I0301 10:00:02.500000       1 replica_set.go:676] "Finished syncing" kind="ReplicaSet" key="default/web" duration="1.2ms" count=3 err=<nil> note="a b=c \\"q\\""');
    expect(row.Fields).toEqual({ msg: 'Finished syncing', kind: 'ReplicaSet', key: 'default/web', duration: '1.2ms', count: '3', err: '<nil>', note: 'a b=c "q"' });
    expect(row.Verb).toBe('');
  });

  it('keeps the klog multi-line marker and lets continuation lines inherit severity', () => {
    const ctx = new ContinuationContext();
    const head = klogLineToRow(rawRecord(), 'E0301 11:00:01.000000       1 etcd.go:205] "EtcdMain goroutine check" err=<', ctx);
    expect(head.Fields).toEqual({ msg: 'EtcdMain goroutine check', err: '<' });
    const body = klogLineToRow(rawRecord(), '\tgoroutine 1 [running]:\n', ctx);
    const end = klogLineToRow(rawRecord(), ' >', ctx);
    expect([body.Level, end.Level]).toEqual(['ERROR', 'ERROR']);
    expect(body.Severity).toBe('');
    expect(body.LogMessage).toBe('\tgoroutine 1 [running]:');
    // Another pod's continuation does not inherit, nor does another category of the same pod.
    expect(klogLineToRow(rawRecord({ pod: 'other' }), ' >', ctx).Level).toBe('INFO');
    expect(klogLineToRow(rawRecord({ category: 'kube-scheduler' }), ' >', ctx).Level).toBe('INFO');
    klogLineToRow(rawRecord({ category: 'kube-scheduler' }), 'W0301 11:00:02.000000       1 s.go:1] x', ctx);
    expect([klogLineToRow(rawRecord({ category: 'kube-scheduler' }), ' >', ctx).Level, klogLineToRow(rawRecord(), ' >', ctx).Level]).toEqual(['WARNING', 'ERROR']);
  });

  it('a headerless JSON line (zap, the etcd client in kube-apiserver) is its own record with its own level', () => {
    const ctx = new ContinuationContext();
    const etcd = (level: string) => `{"level":"${level}","ts":"2025-01-01T00:00:04.123Z","logger":"etcd-client","caller":"v3@v3.5.9/retry_interceptor.go:62","msg":"retrying of unary invoker failed","attempt":0}\n`;
    const row = (log: string) => klogLineToRow(rawRecord({ log }), log, ctx);
    row('I0101 00:00:04.000000       1 x.go:1] fine');
    expect(row(etcd('error'))).toMatchObject({ Level: 'ERROR', Severity: '' });
    // It does not become what later continuation lines inherit: that is still the I line.
    expect(row('\tgoroutine 1 [running]:').Level).toBe('INFO');
    row('E0101 00:00:04.100000       1 x.go:2] bad err=<');
    expect(row(etcd('info')).Level).toBe('INFO');
    expect(row(' >').Level).toBe('ERROR');
    const levels = ['debug', 'info', 'warn', 'error', 'dpanic', 'panic', 'fatal', 'WARN', 'trace'].map((l) => row(etcd(l)).Level);
    expect(levels).toEqual(['INFO', 'INFO', 'WARNING', 'ERROR', 'ERROR', 'FATAL', 'FATAL', 'WARNING', 'INFO']);
    row('W0101 00:00:04.200000       1 x.go:3] meh');
    // Not a JSON object with a string level: an ordinary continuation line.
    for (const log of ['{"level":3}', '{"msg":"x"}', '{not json', '{"level":"error"', '[{"level":"error"}]', ' {"level":"error"}'])
      expect(row(log).Level, log).toBe('WARNING');
  });

  it('reads trailing pairs of unstructured lines (timeout handler)', () => {
    const p = parseMessage('timeout or abort while handling: method=GET URI="/api/v1/pods?watch=true" audit-ID="x-1"');
    expect(p.request).toMatchObject({ Verb: 'GET', RequestUri: '/api/v1/pods?watch=true', AuditId: 'x-1' });
    expect(parseMessage('plain words only here').fields).toBeNull();
    expect(parseMessage('ratio=5 but then words').fields).toBeNull();
  });

  it('parsePairs: all vs tail', () => {
    expect(parsePairs('a=1 b="x y"', 0, 'all')).toEqual({ a: '1', b: 'x y' });
    expect(parsePairs('word a=1', 0, 'all')).toBeNull();
    expect(parsePairs('word a=1', 0, 'tail')).toEqual({ a: '1' });
    expect(parsePairs('a="x"y', 0, 'all')).toBeNull();
    expect(parsePairs('a="never closed b=2', 0, 'tail')).toBeNull();
  });

  it('a structured line keeps every pair when a value is a struct, slice or map printed with spaces', () => {
    // klog quotes strings and errors and prints other values with %+v. Before, the word after
    // such a value ended the "all pairs" reading, and only the pairs after it were kept.
    const line = '"Preempting pods" pod="default/web-1" victims=[default/a default/b] node={Name:aks-pool-1 Zone:1} resources=map[cpu:100m memory:1Gi] attempt=2';
    expect(parseMessage(line).fields).toEqual({ msg: 'Preempting pods', pod: 'default/web-1', victims: '[default/a default/b]', node: '{Name:aks-pool-1 Zone:1}', resources: 'map[cpu:100m memory:1Gi]', attempt: '2' });
    expect(parsePairs('a=[x  y] b="q"', 0, 'all')).toEqual({ a: '[x  y]', b: 'q' });
    // After a quoted value a word is no pair: not all pairs; unstructured text is read as before.
    expect(parsePairs('a="x" word b=1', 0, 'all')).toBeNull();
    expect(parsePairs('a=1 word b=2', 0, 'tail')).toEqual({ b: '2' });
  });
});

describe('utiltrace lines', () => {
  it('parses the current header and its steps from one batch', () => {
    const doc = JSON.parse(readFileSync(fixture('trace-continuation.json'), 'utf8')) as { records: { properties: { log: string } }[] };
    const ctx = new ContinuationContext();
    const rows = doc.records.map((r) => klogLineToRow(rawRecord({ log: r.properties.log }), r.properties.log, ctx));
    expect(rows[0]).toMatchObject({
      Verb: 'PUT',
      RequestUri: '/apis/apps/v1/namespaces/default/deployments/web/status',
      AuditId: '66666666-6666-6666-6666-666666666666',
      SourceIp: '10.0.0.7',
      LatencyMs: 700,
      UserAgent: 'kube-controller-manager/v1.29.2 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:deployment-controller',
    });
    expect((rows[0]!.Fields as Record<string, string>).accept).toBe('application/json, */*');
    expect(rows[1]!.Fields).toEqual({ trace: '77', step: 'Write to database call succeeded', len: '1024', duration: '650ms', at: '11:00:00.000' });
    expect(rows[2]!.Fields).toEqual({ trace: '77', sinceStart: '700.1ms', sinceLast: '50.1ms', step: 'END' });
    expect(rows[1]!.Level).toBe('INFO');
    expect(rows[4]!.Level).toBe('ERROR');
  });
});

describe('helpers', () => {
  it('Go durations', () => {
    expect(goDurationMs('9.05251ms')).toBe(9.05251);
    expect(goDurationMs('214.666µs')).toBe(0.214666);
    expect(goDurationMs('214.666us')).toBe(0.214666);
    expect(goDurationMs('8m18.00060226s')).toBe(498000.60226);
    expect(goDurationMs('1h')).toBe(3_600_000);
    expect(goDurationMs('0')).toBe(0);
    for (const bad of ['', 'ms', '5', '5 ms', '1.2.3x', 'x'.repeat(100), '1constructor', '1toString', '2__proto__', '1hasOwnProperty']) expect(goDurationMs(bad), bad).toBeNull();
  });

  it('source addresses', () => {
    expect(stripPort('172.31.1.1:48110')).toBe('172.31.1.1');
    expect(stripPort('[::1]:35168')).toBe('::1');
    expect(stripPort('10.0.0.1')).toBe('10.0.0.1');
    expect(stripPort('2001:db8::1')).toBe('2001:db8::1');
  });

  it('canonical times: 0/6/7/9 fractional digits, offsets, garbage', () => {
    expect(canonicalTime('2020-05-08T22:44:17Z')).toBe('2020-05-08T22:44:17.000000Z');
    expect(canonicalTime('2020-11-09T10:57:31.0000000Z')).toBe('2020-11-09T10:57:31.000000Z');
    expect(canonicalTime('2025-04-20T16:36:52.392502188Z')).toBe('2025-04-20T16:36:52.392502Z');
    expect(canonicalTime('2025-04-20T16:36:52.392502Z')).toBe('2025-04-20T16:36:52.392502Z');
    expect(canonicalTime('2025-04-20T18:36:52.5+02:00')).toBe('2025-04-20T16:36:52.500000Z');
    expect(canonicalTime('2025-04-20 16:36:52Z')).toBe('2025-04-20T16:36:52.000000Z');
    // Canonical length but not canonical form: rewritten, whatever second the memo holds.
    expect(canonicalTime('2025-04-20T16:36:52.392502Z')).toBe('2025-04-20T16:36:52.392502Z');
    expect(canonicalTime('2025-04-20 16:36:52.392502Z')).toBe('2025-04-20T16:36:52.392502Z');
    expect(canonicalTime('2025-04-20t16:36:52.123456Z')).toBe('2025-04-20T16:36:52.123456Z');
    expect(canonicalTime('2025-04-20T16:36:52.39x502Z')).toBeNull();
    expect(canonicalTime('2025-04-20T16:36:53.000001Z')).toBe('2025-04-20T16:36:53.000001Z');
    for (const bad of [null, 5, '', 'yesterday', '2025-13-01T00:00:00Z', '2025-04-20T16:36:52.Z', '2025-04-20T16:36:52.1+0200']) expect(canonicalTime(bad)).toBeNull();
    // An offset that shifts past year 9999 or before year 0000 has no four-digit-year text.
    expect(canonicalTime('9999-12-31T23:59:59.5-01:00')).toBeNull();
    expect(canonicalTime('0000-01-01T00:00:00+01:00')).toBeNull();
    expect(canonicalTime('9999-12-31T22:59:59.5-01:00')).toBe('9999-12-31T23:59:59.500000Z');
  });

  it('days past the end of their month and leap seconds are not times (ADX would read them as null)', () => {
    for (const bad of ['2024-02-30T00:00:00Z', '2023-02-29T00:00:00.000000Z', '2024-04-31T00:00:00Z', '2100-02-29T00:00:00Z', '2024-06-30T23:59:60Z', '2016-12-31T23:59:60.000000Z'])
      expect(canonicalTime(bad), bad).toBeNull();
    for (const good of ['2024-02-29T00:00:00.000000Z', '2000-02-29T00:00:00.000000Z', '0000-02-29T00:00:00.000000Z', '2024-12-31T23:59:59.000000Z'])
      expect(canonicalTime(good), good).toBe(good);
  });

  it('a klog header that is not a real time falls back to the record time', () => {
    const rec = (time: string) => rawRecord({ time });
    expect(klogLineToRow(rec('2024-03-01T10:00:08Z'), 'I0230 10:00:08.000000 1 a.go:1] m').TimeGenerated).toBe('2024-03-01T10:00:08.000000Z');
    expect(klogLineToRow(rec('2024-03-01T10:00:08Z'), 'I0301 99:99:99.000000 1 a.go:1] m').TimeGenerated).toBe('2024-03-01T10:00:08.000000Z');
    // December header in a January record of year 0000: the year before does not exist.
    expect(klogLineToRow(rec('0000-01-01T00:00:01Z'), 'I1231 23:59:59.000000 1 a.go:1] m').TimeGenerated).toBe('0000-01-01T00:00:01.000000Z');
    // Years under 1000 are written with four digits.
    expect(klogLineToRow(rec('0001-03-01T10:00:08Z'), 'I0301 10:00:08.5 1 a.go:1] m').TimeGenerated).toBe('0001-03-01T10:00:08.500000Z');
    expect(klogLineToRow(rec('2024-02-29T10:00:08Z'), 'I0229 10:00:08.000000 1 a.go:1] m').TimeGenerated).toBe('2024-02-29T10:00:08.000000Z');
  });
});

describe('pathological input finishes in linear time', () => {
  const MB = 1 << 20;
  const cases: [string, string][] = [
    ['quotes and equals', 'I0301 10:00:00.000000       1 a.go:1] "m" ' + 'a="b=\\"'.repeat(MB / 7)],
    ['unterminated key=" runs', 'E0301 10:00:00.000000       1 a.go:1] x ' + 'k="'.repeat(MB / 3)],
    ['many k=v pairs', 'I0301 10:00:00.000000       1 a.go:1] "m" ' + 'k=v '.repeat(MB / 4)],
    ['trace with commas', 'I0301 10:00:00.000000       1 trace.go:1] Trace[1]: "Get" ' + 'url:,'.repeat(MB / 5) + ' (total time: 1ms):'],
    ['legacy lookalike', 'I0301 10:00:00.000000       1 wrap.go:1] GET /' + ':('.repeat(MB / 2)],
    ['header lookalike', 'I0301 10:00:00.' + '1'.repeat(MB)],
    ['trace steps', 'Trace[1]: ---"' + 'a:b '.repeat(MB / 4)],
    ['spaces', ' '.repeat(MB)],
    ['unterminated JSON object', '{"a":'.repeat(MB / 5)],
    ['deeply nested JSON object', '{"a":'.repeat(MB / 10) + '1' + '}'.repeat(MB / 10)],
  ];
  for (const [name, line] of cases) {
    it(name, () => {
      // Speed on these lines is checked as a ratio to a plain scan in test/perf-regex.test.ts.
      const row = klogLineToRow(rawRecord({ log: line }), line);
      expect(row.Message).toBe(line);
    });
  }
});

describe('timeMs', () => {
  it('equals Date.parse at random seconds of every year 0000-9999, leap days and era ends included', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const lo = Date.parse('0000-01-01T00:00:00Z');
    const hi = Date.parse('9999-12-31T23:59:59Z');
    const picks = Array.from({ length: 5000 }, () => lo + Math.floor(rand() * (hi - lo)));
    for (const day of ['0000-02-29', '0100-02-28', '0400-02-29', '1600-03-01', '1970-01-01', '1969-12-31', '2000-02-29', '2100-03-01']) picks.push(Date.parse(`${day}T23:59:59Z`));
    for (const ms of picks) {
      const t = `${new Date(ms).toISOString().slice(0, 19)}.123456Z`;
      expect(timeMs(t), t).toBe(Date.parse(t));
      expect(canonicalTime(t), t).toBe(t);
    }
  });

  it('equals Date.parse for canonical times, in any order, and rejects what Date.parse rejects', () => {
    const times = [
      '2024-03-04T00:00:00.428941Z', '2024-03-04T00:00:00.999999Z', '2024-03-04T00:00:01.000000Z', '2024-03-04T00:00:00.000001Z',
      '2023-12-31T23:59:59.999000Z', '2024-02-29T12:00:00.500000Z', '2024-03-04 00:00:00.428941Z', '2024-03-04T00:00:00.428941Z',
      // Go's zero time and the years Date.UTC would read as 19xx; the far end of the range.
      '0001-01-01T00:00:00.000000Z', '0099-12-31T23:59:59.123000Z', '0100-01-01T00:00:00.000000Z', '9999-12-31T23:59:59.999999Z',
      '0000-02-29T12:00:00.000000Z', '0004-02-29T00:00:00.000000Z', '0000-12-31T23:59:59.000000Z',
    ];
    for (const t of [...times, ...times.reverse()]) expect(timeMs(t), t).toBe(Date.parse(t.replace(' ', 'T')));
    // Same second as the time before, but not a time.
    timeMs('2024-03-04T00:00:00.428941Z');
    for (const bad of ['2024-03-04T00:00:00.4x8941Z', '2024-13-04T00:00:00.428941Z', '', null]) expect(timeMs(bad), String(bad)).toBeNaN();
  });
});
