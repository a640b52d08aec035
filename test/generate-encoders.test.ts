import { describe, expect, it } from 'vitest';
import { auditExecveArgs, auditNeedsHex, auditProctitle, auditStamp, auditUntrusted, MAX_PROCTITLE_AUDIT_LEN } from '../functions/generate/encoders/auditd.js';
import { cef, cefExtensionValue, cefHeaderField } from '../functions/generate/encoders/cef.js';
import { csvField, csvRow } from '../functions/generate/encoders/../csv.js';
import { escapeControl, rfc3164, rfc5424, sdParamValue, structuredData } from '../functions/generate/encoders/syslog.js';
import { posLine, posValue } from '../functions/generate/encoders/verifone.js';
import { EVENT_SCHEMAS, windowsEventXml, xmlEscape } from '../functions/generate/encoders/windows.js';
import { TimeFormat } from '../functions/generate/time.js';

const us = (iso: string): number => Date.parse(iso) * 1000;

describe('syslog RFC 3164', () => {
  const tf = new TimeFormat();
  it('pads a one-digit day with a space and keeps PRI', () => {
    expect(rfc3164(38, tf.bsd(us('2024-03-05T07:08:09Z')), 'web-01', 'sshd', 812, 'hello')).toBe('<38>Mar  5 07:08:09 web-01 sshd[812]: hello');
  });
  it('two-digit day, no PRI, no pid', () => {
    expect(rfc3164(null, tf.bsd(us('2024-12-25T23:59:59Z')), 'h', 'kernel', 0, 'x')).toBe('Dec 25 23:59:59 h kernel: x');
  });
  it('escapes control characters so one event stays one line', () => {
    expect(escapeControl('a\nb\tc')).toBe('a#012b#011c');
    expect(rfc3164(13, 'Jan  1 00:00:00', 'h', 't', 1, 'x\ny')).not.toContain('\n');
  });
});

describe('syslog RFC 5424', () => {
  it('escapes " \\ ] in SD-PARAM values and nothing else', () => {
    expect(sdParamValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
  });
  it('renders NILVALUE for empty fields and structured data', () => {
    expect(rfc5424(165, '2003-10-11T22:14:15.003000Z', 'mymachine.example.com', 'evntslog', '', 'ID47', null, 'An application event'))
      .toBe('<165>1 2003-10-11T22:14:15.003000Z mymachine.example.com evntslog - ID47 - An application event');
    expect(rfc5424(13, '', '', '', '', '', null, '')).toBe('<13>1 - - - - - -');
  });
  it('renders SD elements and rejects invalid SD-NAMEs', () => {
    expect(structuredData([{ id: 'exampleSDID@32473', params: [['iut', '3'], ['eventSource', 'App"x]']] }])).toBe('[exampleSDID@32473 iut="3" eventSource="App\\"x\\]"]');
    expect(() => structuredData([{ id: 'bad id', params: [] }])).toThrow(/SD-ID/);
    expect(() => structuredData([{ id: 'ok', params: [['a=b', 'x']] }])).toThrow(/PARAM-NAME/);
  });
  it('replaces spaces in header fields (not allowed there)', () => {
    expect(rfc5424(14, '2024-01-01T00:00:00.000000Z', 'my host', 'app', '1', '', null, 'm')).toContain(' my_host app 1 - - m');
  });
});

describe('CEF', () => {
  it('escapes pipes and backslashes in the header only', () => {
    expect(cefHeaderField('a|b\\c=d')).toBe('a\\|b\\\\c=d');
  });
  it('escapes = \\ and newlines in extension values, but not pipes', () => {
    expect(cefExtensionValue('a=b\\c|d\ne\rf')).toBe('a\\=b\\\\c|d\\ne\\rf');
  });
  it('builds a full line with distinct escaping per part, skipping empty values', () => {
    const line = cef({ version: 0, vendor: 'Ven|dor', product: 'P', deviceVersion: '1.0', signatureId: '100', name: 'x=y', severity: 5 }, [['src', '10.0.0.1'], ['msg', 'a=b|c'], ['cs1', ''], ['spt', 80]]);
    expect(line).toBe('CEF:0|Ven\\|dor|P|1.0|100|x=y|5|src=10.0.0.1 msg=a\\=b|c spt=80');
  });
  it('rejects non-alphanumeric keys', () => {
    expect(() => cef({ version: 0, vendor: 'v', product: 'p', deviceVersion: '1', signatureId: '1', name: 'n', severity: 1 }, [['bad key', 'x']])).toThrow();
  });
});

describe('auditd (kernel audit_string_contains_control rule)', () => {
  it('quotes plain ASCII and hex-encodes space, quote, control and non-ASCII', () => {
    expect(auditUntrusted('/usr/bin/ls')).toBe('"/usr/bin/ls"');
    expect(auditUntrusted('a b')).toBe('612062');
    expect(auditUntrusted('say"hi')).toBe('736179226869');
    expect(auditUntrusted('tab\t')).toBe('74616209');
    expect(auditUntrusted('é')).toBe('C3A9');
    expect(auditUntrusted('~')).toBe('"~"'); // 0x7e is the last plain byte
    expect(auditNeedsHex(Buffer.from([0x7f]))).toBe(true);
    expect(auditNeedsHex(Buffer.from('!'))).toBe(false); // 0x21 is the first plain byte
  });
  it('EXECVE encodes each argument on its own', () => {
    expect(auditExecveArgs(['ls', '-la', '/tmp dir'])).toBe('argc=3 a0="ls" a1="-la" a2=2F746D7020646972');
  });
  it('PROCTITLE joins argv with NUL (so multi-arg titles are hex) and truncates to 128 bytes', () => {
    expect(auditProctitle(['bash'])).toBe('"bash"');
    expect(auditProctitle(['ls', '-l'])).toBe('6C73002D6C');
    const long = auditProctitle(['x'.repeat(300)]);
    expect(long).toBe(`"${'x'.repeat(MAX_PROCTITLE_AUDIT_LEN)}"`);
  });
  it('stamps audit(seconds.millis:serial) with zero-padded millis', () => {
    expect(auditStamp(1_704_067_200_007, 42)).toBe('audit(1704067200.007:42)');
  });
});

describe('Windows Security XML', () => {
  it('escapes XML specials and keeps the event on one line', () => {
    expect(xmlEscape(`<a & "b" 'c'>\n`)).toBe('&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;&#10;');
  });
  it('writes every documented field of the event in manifest order, "-" when absent', () => {
    const xml = windowsEventXml({ eventId: 4625, systemTime: '2024-01-01T00:00:00.0000000Z', recordId: 7, processId: 740, threadId: 1, computer: 'DC01', data: { TargetUserName: 'bob', LogonType: '3', Status: '0xc000006d' } });
    const names = [...xml.matchAll(/<Data Name="([^"]+)">/g)].map((m) => m[1]);
    expect(names).toEqual(EVENT_SCHEMAS[4625]!.fields);
    expect(xml).toContain('<Keywords>0x8010000000000000</Keywords>');
    expect(xml).toContain('<Data Name="LogonType">3</Data>');
    expect(xml).toContain('<Data Name="IpAddress">-</Data>');
    expect(xml).not.toContain('\n');
  });
  it('knows the eight supported event ids', () => {
    expect(Object.keys(EVENT_SCHEMAS).map(Number).sort()).toEqual([4624, 4625, 4634, 4672, 4688, 4720, 4732, 4740]);
    expect(() => windowsEventXml({ eventId: 1, systemTime: '', recordId: 1, processId: 1, threadId: 1, computer: '', data: {} })).toThrow();
  });
});

describe('CSV (RFC 4180) and Verifone key=value', () => {
  it('quotes only when needed and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField({ a: 1 })).toBe('"{""a"":1}"');
    expect(csvRow(['x', 1, true])).toBe('x,1,true\r\n');
  });
  it('Verifone values: bare when safe, quoted and escaped otherwise', () => {
    expect(posValue('00')).toBe('00');
    expect(posValue('Do not honor')).toBe('"Do not honor"');
    expect(posValue('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(posLine('2024-01-01T00:00:00.000Z', 'INFO', '0001', '0001-01', [['EVT', 'SALE'], ['AMT', '1.00'], ['AUTH', '']])).toBe('2024-01-01T00:00:00.000Z INFO [0001/0001-01] EVT=SALE AMT=1.00');
  });
});

describe('TimeFormat', () => {
  it('formats ISO with the requested digits and klog headers, across day changes', () => {
    const tf = new TimeFormat();
    const t = us('2024-02-29T23:59:59.123Z') + 456;
    expect(tf.iso(t, 6)).toBe('2024-02-29T23:59:59.123456Z');
    expect(tf.iso(t, 7)).toBe('2024-02-29T23:59:59.1234560Z');
    expect(tf.iso(t, 0)).toBe('2024-02-29T23:59:59Z');
    expect(tf.klog(t)).toBe('0229 23:59:59.123456');
    expect(tf.iso(t + 1_000_000, 3)).toBe('2024-03-01T00:00:00.123Z');
    expect(tf.iso(t, 6)).toBe(new Date(Date.parse('2024-02-29T23:59:59.123Z')).toISOString().replace('Z', '456Z'));
  });
});
