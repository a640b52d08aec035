// CEF firewall: allowed/denied flows of a perimeter firewall, sent over syslog.
// Scenarios: port scan (many denied ports from one source), exfiltration (large outbound transfer).
import { CefFirewallColumns } from '../../kusto/datasetTables.js';
import { cef } from '../encoders/cef.js';
import { pri } from '../encoders/syslog.js';
import { tableEncoder } from '../encoders/table.js';
import { attackerIp, ephemeralPort, externalIp, internalIp } from '../names.js';
import type { Rng } from '../prng.js';
import type { GenEnv, LogTypeDef, ScenarioDef } from '../types.js';

export interface CefEvent {
  t: number;
  host: string;
  signatureId: string;
  name: string;
  severity: number;
  act: 'allow' | 'deny' | 'drop';
  proto: 'TCP' | 'UDP' | 'ICMP';
  src: string;
  spt: number;
  dst: string;
  dpt: number;
  out: number;
  in: number;
  inIf: string;
  outIf: string;
  rule: string;
  msg: string;
  /** URL of the request (CEF `request`); carries `=` and `&`, so it exercises extension escaping. */
  request: string;
}

const VENDOR = 'Contoso';
const PRODUCT = 'EdgeWall';
const DEVICE_VERSION = '9.1.4';

interface CefEnv extends GenEnv {
  firewall: string;
  servers: string[];
}

const OUTBOUND = [[443, 'TCP', 58], [80, 'TCP', 10], [53, 'UDP', 20], [123, 'UDP', 3], [22, 'TCP', 2], [8443, 'TCP', 2]] as const;
/**
 * What the firewall's URL logging records of web traffic (it decrypts some of it), by port:
 * SaaS sign-ins, updates, APIs, sync services. Query strings carry `=` and `&` as the
 * exfiltration's do. A request without a name (no SNI, a direct address) is logged by its
 * address, as the exfiltration's are.
 */
const WEB_REQUESTS: Readonly<Record<number, readonly string[]>> = {
  443: [
    'login.microsoftonline.com/common/oauth2/v2.0/token',
    'graph.microsoft.com/v1.0/me/messages?$top=25&$select=subject,from',
    'update.contoso-cdn.net/agent/releases/latest?channel=stable&arch=x64',
    'api.github.com/repos/contoso/web/pulls?state=open&per_page=50',
    'teams.microsoft.com/api/chatsvc/consumer/v1/users/ME/conversations?view=msnp24Equivalent&pageSize=30',
  ],
  80: ['ocsp.digicert.com/MFEwTzBNMEswSTAJBgUrDgMCGgUABBQ', 'ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/authrootstl.cab'],
  8443: ['files.contoso-share.com:8443/sync/upload?device=ws-114&chunk=3', 'vpn.contoso-partner.com:8443/remote/logincheck?realm=&ajax=1'],
};
const BY_ADDRESS_PATHS = ['/sync/upload?device=ws-114&chunk=3', '/api/v2/status?agent=edge&ver=9'] as const;

/** The URL a flow to `dst`:`dpt` logs (the flow's own scheme and port). */
function webRequest(rng: Rng, dst: string, dpt: number): string {
  const scheme = dpt === 80 ? 'http' : 'https';
  if (rng.chance(0.15)) return `${scheme}://${dst}${dpt === 443 || dpt === 80 ? '' : `:${dpt}`}${rng.pick(BY_ADDRESS_PATHS)}`;
  return `${scheme}://${rng.pick(WEB_REQUESTS[dpt]!)}`;
}
const INBOUND_OK = [[443, 6], [80, 2], [25, 1]] as const;
/** Outbound traffic the policy refuses from ordinary hosts (direct SMTP, SMB, IRC, databases). */
const OUTBOUND_DENIED = [25, 445, 6667, 1433, 3306] as const;
/** What the internet knocks on all day: refused with a reset (deny) or silently (drop). */
const INBOUND_NOISE = [22, 23, 445, 1433, 1900, 3306, 3389, 5060, 5900, 8080] as const;

function flow(e: CefEnv, t: number, p: Omit<CefEvent, 't' | 'host' | 'signatureId' | 'name' | 'severity' | 'request'> & { request?: string }): CefEvent {
  const allowed = p.act === 'allow';
  return {
    t,
    host: e.firewall,
    signatureId: allowed ? '100' : '200',
    name: allowed ? 'Traffic allowed' : p.act === 'deny' ? 'Traffic denied | policy' : 'Traffic dropped',
    severity: allowed ? 3 : 5,
    request: '',
    ...p,
  };
}

const SCENARIOS: readonly ScenarioDef<CefEvent>[] = [
  {
    name: 'port-scan',
    technique: 'T1046',
    tactic: 'Discovery',
    description: 'One internet address probes 40 TCP ports of a public server; every probe is denied',
    steps(rng, env) {
      const e = env as CefEnv;
      const src = attackerIp(rng, env);
      const dst = rng.pick(e.servers);
      const ports: number[] = [];
      const seen = new Set<number>([443, 80, 25]);
      while (ports.length < 40) {
        const p = rng.chance(0.5) ? rng.pick([21, 22, 23, 110, 135, 139, 445, 1433, 3306, 3389, 5432, 5900, 6379, 8080, 8443, 9200]) : rng.range(1, 10000);
        if (!seen.has(p)) (seen.add(p), ports.push(p));
      }
      return ports.map((dpt) => {
        const spt = ephemeralPort(rng);
        return (t: number) => flow(e, t, { act: 'deny', proto: 'TCP', src, spt, dst, dpt, out: 0, in: 60, inIf: 'ethernet1/1', outIf: '', rule: 'deny-inbound-default', msg: 'SYN to closed port' });
      });
    },
  },
  {
    name: 'exfiltration',
    technique: 'T1048',
    tactic: 'Exfiltration',
    description: 'An inside host sends several large uploads to one internet address over an unusual port',
    steps(rng, env) {
      const e = env as CefEnv;
      const src = internalIp(rng);
      const dst = attackerIp(rng, env);
      const session = rng.hex(16);
      return Array.from({ length: 12 }, (_, part) => {
        const out = rng.range(200_000_000, 900_000_000);
        const spt = ephemeralPort(rng);
        const inBytes = rng.range(20_000, 90_000);
        const request = `https://${dst}:8443/upload?session=${session}&part=${part + 1}`;
        return (t: number) => flow(e, t, { act: 'allow', proto: 'TCP', src, spt, dst, dpt: 8443, out, in: inBytes, inIf: 'ethernet1/2', outIf: 'ethernet1/1', rule: 'allow-outbound-web', msg: 'large upload', request });
      });
    },
  },
];

// Weight tables built once (rng.weighted caches each table's total by identity).
const OUTBOUND_WEIGHTS = OUTBOUND.map(([p, pr, w]) => [[p, pr] as const, w] as const);
const INBOUND_OK_WEIGHTS = INBOUND_OK.map(([p, w]) => [p, w] as const);

type Benign = (rng: Rng, e: CefEnv, t: number) => CefEvent;

/** Any port but those the DMZ serves (a deny there would contradict allow-inbound-dmz). */
function anyClosedPort(rng: Rng): number {
  const p = rng.range(1, 65535);
  return INBOUND_OK.some(([open]) => open === p) ? p + 1 : p;
}

/**
 * Benign traffic of a perimeter firewall. Refused traffic and `msg` are ordinary here too
 * (stray probes denied or dropped, outbound policy blocks, nightly backups flagged as large
 * uploads), so neither act=deny nor a msg marks an attack by itself.
 */
const BENIGN: readonly (readonly [Benign, number])[] = [
  [(rng, e, t) => {
    const [dpt, proto] = rng.weighted(OUTBOUND_WEIGHTS);
    const web = proto === 'TCP' && WEB_REQUESTS[dpt] !== undefined && rng.chance(0.3);
    const dst = externalIp(rng, e);
    return flow(e, t, { act: 'allow', proto, src: internalIp(rng), spt: ephemeralPort(rng), dst, dpt, out: rng.range(300, 80_000), in: rng.range(500, 2_000_000), inIf: 'ethernet1/2', outIf: 'ethernet1/1', rule: 'allow-outbound-web', msg: '', ...(web ? { request: webRequest(rng, dst, dpt) } : {}) });
  }, 78],
  // Nightly backups and file sync: large uploads, some to a sync service on 8443.
  [(rng, e, t) => flow(e, t, { act: 'allow', proto: 'TCP', src: internalIp(rng), spt: ephemeralPort(rng), dst: externalIp(rng, e), dpt: rng.chance(0.8) ? 443 : 8443, out: rng.range(100_000_000, 600_000_000), in: rng.range(20_000, 400_000), inIf: 'ethernet1/2', outIf: 'ethernet1/1', rule: 'allow-outbound-web', msg: 'large upload' }), 0.3],
  [(rng, e, t) => flow(e, t, { act: 'deny', proto: 'TCP', src: internalIp(rng), spt: ephemeralPort(rng), dst: externalIp(rng, e), dpt: rng.pick(OUTBOUND_DENIED), out: 60, in: 0, inIf: 'ethernet1/2', outIf: '', rule: 'deny-outbound-policy', msg: 'blocked by policy' }), 1.2],
  [(rng, e, t) => {
    const dpt = rng.weighted(INBOUND_OK_WEIGHTS);
    return flow(e, t, { act: 'allow', proto: 'TCP', src: externalIp(rng, e), spt: ephemeralPort(rng), dst: rng.pick(e.servers), dpt, out: rng.range(1000, 500_000), in: rng.range(300, 20_000), inIf: 'ethernet1/1', outIf: 'ethernet1/3', rule: 'allow-inbound-dmz', msg: '' });
  }, 17],
  // Mass scanners knock on the usual ports, and now and then on any port at all.
  [(rng, e, t) => flow(e, t, { act: 'deny', proto: 'TCP', src: externalIp(rng, e), spt: ephemeralPort(rng), dst: rng.pick(e.servers), dpt: rng.chance(0.7) ? rng.pick(INBOUND_NOISE) : anyClosedPort(rng), out: 0, in: 60, inIf: 'ethernet1/1', outIf: '', rule: 'deny-inbound-default', msg: 'SYN to closed port' }), 1.5],
  [(rng, e, t) => flow(e, t, { act: 'drop', proto: rng.chance(0.7) ? 'TCP' : 'UDP', src: externalIp(rng, e), spt: ephemeralPort(rng), dst: rng.pick(e.servers), dpt: rng.pick(INBOUND_NOISE), out: 0, in: 60, inIf: 'ethernet1/1', outIf: '', rule: 'deny-inbound-default', msg: '' }), 2],
];

export const cefFirewall: LogTypeDef<CefEvent> = {
  name: 'cef',
  description: 'CEF firewall flow events (allow/deny) over syslog, CommonSecurityLog-style columns',
  table: { name: 'CEFFirewallLogs', columns: CefFirewallColumns },
  formats: ['raw', 'csv', 'jsonl'],
  defaultFormat: 'raw',
  scenarios: SCENARIOS,
  env(rng: Rng, req): CefEnv {
    return { req, rng, firewall: `fw-edge-${rng.range(1, 4)}`, servers: Array.from({ length: 4 }, () => internalIp(rng, '10.10')) };
  },
  benign(rng, env, t) {
    return rng.weighted(BENIGN)(rng, env as CefEnv, t);
  },
  // rt (and the rows' TimeGenerated) carry milliseconds.
  timeUnitUs: () => 1000,
  records: () => 1,
  encoder(format, _req, tf) {
    const ext = (e: CefEvent): [string, string | number | null][] => [
      ['rt', Math.floor(e.t / 1000)],
      ['act', e.act],
      ['proto', e.proto],
      ['src', e.src],
      ['spt', e.spt],
      ['dst', e.dst],
      ['dpt', e.dpt],
      ['out', e.out],
      ['in', e.in],
      ['deviceInboundInterface', e.inIf],
      ['deviceOutboundInterface', e.outIf],
      ['cs1Label', 'Rule'],
      ['cs1', e.rule],
      ['msg', e.msg],
      ['request', e.request],
    ];
    return tableEncoder<CefEvent>(format, {
      columns: CefFirewallColumns,
      raw: (ev) => {
        return `<${pri(16, ev.act === 'allow' ? 6 : 4)}>${tf.bsd(ev.t)} ${ev.host} ${cef({ version: 0, vendor: VENDOR, product: PRODUCT, deviceVersion: DEVICE_VERSION, signatureId: ev.signatureId, name: ev.name, severity: ev.severity }, ext(ev))}\n`;
      },
      rows: (ev, id) => {
        const x = ext(ev).filter(([, v]) => v !== '' && v !== null);
        return [[
          tf.iso(ev.t, 3), id, ev.host, 0, VENDOR, PRODUCT, DEVICE_VERSION, ev.signatureId, ev.name, ev.severity,
          ev.act, ev.proto, ev.src, ev.spt, ev.dst, ev.dpt, ev.out, ev.in, ev.inIf, ev.outIf, ev.msg, Object.fromEntries(x),
        ]];
      },
    });
  },
};
