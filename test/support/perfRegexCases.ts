// Hostile inputs and the text parsers they are fed to (test/perf-regex.test.ts). Every
// parser that runs a regular expression or scans untrusted text on the Event Hub path is
// here, called the way the pipeline calls it.
import type { AksAuditRow, AksControlPlaneRow, RawRecord } from '../../functions/contracts.js';
import { defaultPolicy, detect } from '../../functions/detect/index.js';
import { imageRepository } from '../../functions/detect/fields.js';
import { unwrapEvent, DEFAULT_MAX_BODY_BYTES } from '../../functions/envelope/index.js';
import { jsonTextTooDeep, oneLineJson } from '../../functions/envelope/json.js';
import { jsonString } from '../../functions/land/ndjson.js';
import { auditEventToRow } from '../../functions/normalize/audit.js';
import { parseMessage } from '../../functions/normalize/apiserver.js';
import { ContinuationContext, klogLineToRow } from '../../functions/normalize/controlPlane.js';
import { goDurationMs } from '../../functions/normalize/duration.js';
import { normalizeRecord, type NormalizeSink, type SourcedRecord } from '../../functions/normalize/index.js';
import { parseKlogHeader } from '../../functions/normalize/klog.js';
import { salvageAuditJson } from '../../functions/normalize/salvage.js';
import { canonicalTime } from '../../functions/normalize/time.js';

/** 1 MiB of characters. */
export const SIZE = 1 << 20;

const fill = (unit: string, n = SIZE): string => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
const HEADER = 'I0102 03:04:05.123456       1 httplog.go:132] ';

/** Deterministic pseudo-random text over the characters the parsers react to. */
function mixed(n = SIZE): string {
  const chars = ' ="\\:[](){},./%&?=-_0123456789aIWEF\t';
  let x = 0x2545f491;
  let s = '';
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    s += chars[(x >>> 0) % chars.length];
  }
  return s;
}

export const INPUTS: Record<string, () => string> = {
  spaces: () => fill(' '),
  quotes: () => fill('"'),
  equals: () => fill('='),
  digits: () => fill('9'),
  backslashes: () => fill('\\'),
  colons: () => fill(':'),
  brackets: () => fill('['),
  braces: () => fill('{'),
  'unterminated quote': () => `a="${fill('x', SIZE - 3)}`,
  'escaped quotes in a quote': () => `k="${fill('\\"', SIZE - 3)}`,
  'pairs, one key': () => fill('k=v '),
  'pairs, distinct keys': () => Array.from({ length: SIZE / 8 + 1 }, (_, i) => `k${i.toString(36).padStart(4, '0')}=v `).join('').slice(0, SIZE),
  'quoted pairs glued': () => fill('k="v"'),
  'spaces then a letter': () => `${fill(' ', SIZE - 1)}x`,
  'klog headers repeated': () => fill(HEADER),
  'klog header, endless fraction': () => `I0102 03:04:05.${fill('1', SIZE - 15)}`,
  'structured line, endless pairs': () => `${HEADER}"HTTP" ${fill('verb="GET" URI="/x" ')}`.slice(0, SIZE),
  // Every word goes on the unquoted value before it (klog's %+v structs): kept, not copied per word.
  'structured line, endless struct value': () => `${HEADER}"Sync" obj={${fill('Name:x ')}`.slice(0, SIZE),
  'trace fields': () => `Trace[1]: "Delete" ${fill('url:/a,b:')}`.slice(0, SIZE),
  'legacy access line': () => `GET /${fill(':(')}`.slice(0, SIZE),
  'truncated audit JSON': () => `{"kind":"Event","user":{"username":"${fill('\\"', SIZE - 40)}`,
  'audit JSON, deep nesting': () => `{"auditID":"a","requestObject":${fill('[')}`,
  'audit JSON, endless keys': () => `{${fill('"k":1,', SIZE - 1)}`,
  'audit JSON, endless name': () => `{"user":{"username":"${fill('a', SIZE - 22)}`,
  'pods URI': () => `/api/v1/namespaces/x/pods/${fill('a', SIZE - 30)}`,
  'pods URI repeated': () => fill('/pods/'),
  'secrets URI repeated': () => fill('/secrets'),
  'exec query': () => `/api/v1/namespaces/x/pods/p/exec?${fill('command=%&')}`.slice(0, SIZE),
  'image-like': () => fill('registry:5000/a@sha256:'),
  mixed: () => mixed(),
  // A valid body of many small lists, each item dead-lettered: every inner array is cut from
  // its own element's text, not found again from the top of the body (that was N × 1 MiB).
  'body of one-item {records} lists': () => arrayOf('{"records":[5]}'),
  'body of one-item EventLists': () => arrayOf('{"kind":"EventList","items":[5]}'),
};

/** A JSON array of `element` repeated to about SIZE characters. */
function arrayOf(element: string): string {
  const n = Math.floor((SIZE - 2) / (element.length + 1));
  return `[${Array(n).fill(element).join(',')}]`;
}

const RID = '/SUBSCRIPTIONS/0/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/PERF';
const rec = (category: string, log: string): SourcedRecord => ({
  category, time: '2024-03-01T10:00:00.0000000Z', resourceId: RID, cluster: 'perf', pod: 'kube-apiserver-0', stream: 'stderr', log, source: 'diagnostic',
  position: { source: 'perf', partitionId: '0', sequenceNumber: 1, offset: '0', index: 0 },
});
const sink = (): NormalizeSink => ({ AksAudit: [], AksControlPlane: [], deadLetters: [] });
const policy = defaultPolicy('aks');
const NOW = new Date('2025-01-01T00:00:00Z');

/** A control-plane row whose text columns are all `s`, as a hostile access line would make them. */
const cpRow = (s: string): AksControlPlaneRow => ({
  ...klogLineToRow(rec('kube-apiserver', 'I0102 03:04:05.123456 1 x.go:1] "HTTP" verb="GET" URI="/api/v1/secrets" resp=200') as RawRecord, 'I0102 03:04:05.123456 1 x.go:1] "HTTP" verb="GET" URI="/api/v1/secrets" resp=200'),
  Message: s, LogMessage: s, RequestUri: s, UserAgent: s, SourceIp: s,
});

/** An audit row whose strings (URI, user, agent, images, role rules, config data) are all `s`. */
const auditRow = (s: string): AksAuditRow =>
  auditEventToRow(
    {
      kind: 'Event', level: 'RequestResponse', auditID: 'perf-1', stage: 'ResponseComplete', verb: 'create', requestURI: s, userAgent: s,
      user: { username: s, groups: [s] }, sourceIPs: [s], objectRef: { resource: 'pods', namespace: s, name: s, subresource: 'exec' },
      requestObject: { spec: { containers: [{ image: s, securityContext: { privileged: true } }], volumes: [{ hostPath: { path: s } }] }, rules: [{ resources: [s], verbs: [s] }], data: { k: s } },
      responseStatus: { code: 200 }, stageTimestamp: '2024-03-01T10:00:00.123456Z',
    },
    rec('kube-audit', ''),
  );

export const PARSERS: Record<string, (s: string) => unknown> = {
  'klog line → row': (s) => klogLineToRow(rec('kube-apiserver', s), s, new ContinuationContext(), new Date('2024-06-15T00:00:00Z')),
  'klog line after a header → row': (s) => klogLineToRow(rec('kube-apiserver', HEADER + s), HEADER + s, new ContinuationContext(), new Date('2024-06-15T00:00:00Z')),
  'apiserver message': (s) => parseMessage(s),
  'klog header': (s) => parseKlogHeader(s),
  'audit record (parse, salvage, dead letter)': (s) => normalizeRecord(rec('kube-audit', s), sink(), new ContinuationContext(), { clock: new Date('2024-06-15T00:00:00Z') }),
  'audit salvage': (s) => salvageAuditJson(s),
  'envelope body': (s) => unwrapEvent({ body: Buffer.from(s), position: { source: 'perf', partitionId: '0', sequenceNumber: 1, offset: '0' } }, { records: [], deadLetters: [] }, { defaultCluster: 'perf', maxBodyBytes: DEFAULT_MAX_BODY_BYTES }),
  'JSON text helpers': (s) => [jsonTextTooDeep(s), oneLineJson(s)],
  'times and durations': (s) => [canonicalTime(s), goDurationMs(s)],
  'apiserver rules': (s) => detect({ AksAudit: [], AksControlPlane: [cpRow(s)] }, policy, NOW),
  'k8s-audit rules': (s) => detect({ AksAudit: [auditRow(s)], AksControlPlane: [] }, policy, NOW),
  'image repository': (s) => imageRepository(s),
  'landing string': (s) => jsonString(s),
};

/** The plain scan the parsers are measured against: read every character once. */
export function scan(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h + s.charCodeAt(i)) | 0;
  return h;
}
