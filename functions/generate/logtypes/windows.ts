// Windows Security events of a small domain: logons, logoffs, special privileges, process
// creation. Scenarios: password spray (4625 burst, lockout, then a success) and privilege
// escalation (new local account added to Administrators).
import { createHash } from 'node:crypto';
import { WindowsSecurityColumns } from '../../kusto/datasetTables.js';
import { EVENT_SCHEMAS, LOGON_TYPES, windowsEventXml, writeWindowsEventXml } from '../encoders/windows.js';
import { tableEncoder } from '../encoders/table.js';
import { attackerIp, ephemeralPort, internalIp } from '../names.js';
import type { Rng } from '../prng.js';
import type { GenEnv, LogTypeDef, ScenarioDef } from '../types.js';

export interface WindowsEvent {
  t: number;
  eventId: number;
  computer: string;
  processId: number;
  threadId: number;
  data: Record<string, string>;
}

interface User {
  name: string;
  sid: string;
  /** A local account's domain is its computer's name; domain accounts leave this unset. */
  domain?: string;
}

interface WinEnv extends GenEnv {
  domain: string;
  fqdn: string;
  domainSid: string;
  dc: string;
  servers: string[];
  workstations: string[];
  /** The servers that are not the DC (a DC has no local accounts; file shares live here). */
  memberServers: string[];
  users: User[];
  logonId: (rng: Rng) => string;
  /** A lockout on its way in benign traffic (staleCredentials), or null. */
  stale: StaleCredentials | null;
}

/**
 * A mapped drive on one user's workstation that keeps signing in to a file server with the
 * password the user just changed: a bad password over NTLM now and then (logged by the
 * server), until the domain locks the account at LOCKOUT_THRESHOLD (logged by the DC, naming
 * the workstation), then a few more tries refused as locked out. Benign traffic's own lockout,
 * one account from a domain workstation, where the spray's is many accounts from one machine.
 */
interface StaleCredentials {
  user: User;
  ip: string;
  workstation: string;
  /** The member server the drive maps. */
  server: string;
  /**
   * Tries written so far: LOCKOUT_THRESHOLD bad passwords, then the lockout (step ===
   * LOCKOUT_THRESHOLD, written right after the last of them), then tries at the locked account.
   */
  step: number;
  /** Steps in all, the lockout and the tries after it included. */
  steps: number;
}

const SYSTEM_SID = 'S-1-5-18';
const ADMINISTRATORS_SID = 'S-1-5-32-544';
const STATUS_LOGON_FAILURE = '0xc000006d';
const SUB_BAD_PASSWORD = '0xc000006a';
const SUB_NO_SUCH_USER = '0xc0000064';
const STATUS_ACCOUNT_LOCKED_OUT = '0xc0000234';
const ADMIN_PRIVILEGES = 'SeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeTakeOwnershipPrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeSystemEnvironmentPrivilege\n\t\t\tSeLoadDriverPrivilege\n\t\t\tSeImpersonatePrivilege\n\t\t\tSeDelegateSessionUserImpersonatePrivilege';
const SERVICE_PRIVILEGES = 'SeAssignPrimaryTokenPrivilege\n\t\t\tSeTcbPrivilege\n\t\t\tSeSecurityPrivilege\n\t\t\tSeTakeOwnershipPrivilege\n\t\t\tSeLoadDriverPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeAuditPrivilege\n\t\t\tSeSystemEnvironmentPrivilege\n\t\t\tSeImpersonatePrivilege\n\t\t\tSeDelegateSessionUserImpersonatePrivilege';
const FIRST_NAMES = ['amy', 'ben', 'chen', 'dina', 'eli', 'fatima', 'gus', 'hana', 'ivan', 'jo', 'kai', 'lena', 'mo', 'nia', 'omar', 'pia', 'quinn', 'raj', 'sara', 'tom', 'uma', 'vik', 'wen', 'yara', 'zoe'] as const;
const BENIGN_PROCESSES = [
  ['C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule', 'C:\\Windows\\System32\\services.exe'],
  ['C:\\Windows\\System32\\conhost.exe', '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1', 'C:\\Windows\\System32\\cmd.exe'],
  ['C:\\Windows\\System32\\taskhostw.exe', 'taskhostw.exe', 'C:\\Windows\\System32\\svchost.exe'],
  ['C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE', '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" ', 'C:\\Windows\\explorer.exe'],
  ['C:\\Windows\\System32\\gpupdate.exe', 'gpupdate.exe /target:computer', 'C:\\Windows\\System32\\svchost.exe'],
] as const;

/** Bad passwords that lock a domain account (the domain's lockout policy). */
const LOCKOUT_THRESHOLD = 5;

// The process that writes the event: lsass for logons, System (4) for the rest, 4688 included.
const ev = (t: number, eventId: number, computer: string, rng: Rng, data: Record<string, string>): WindowsEvent => ({
  t, eventId, computer, processId: eventId === 4624 || eventId === 4625 ? 740 : 4, threadId: rng.range(100, 9000), data,
});

/** A computer's own name (FS01 of FS01.contoso.local): its machine account and a local account's domain. */
const computerName = (host: string): string => (host.split('.')[0] as string).toUpperCase();

function logon4624(t: number, e: WinEnv, rng: Rng, host: string, u: User, type: number, ip: string, pkg: 'Kerberos' | 'NTLM' | 'Negotiate', logonId = e.logonId(rng), workstation?: string): WindowsEvent {
  const network = type === LOGON_TYPES.Network;
  return ev(t, 4624, host, rng, {
    SubjectUserSid: network ? 'S-1-0-0' : SYSTEM_SID, SubjectUserName: network ? '-' : `${computerName(host)}$`, SubjectDomainName: network ? '-' : e.domain, SubjectLogonId: network ? '0x0' : '0x3e7',
    TargetUserSid: u.sid, TargetUserName: u.name, TargetDomainName: u.domain ?? e.domain, TargetLogonId: logonId,
    LogonType: String(type), LogonProcessName: pkg === 'Kerberos' ? 'Kerberos' : type === LOGON_TYPES.Network ? 'NtLmSsp ' : 'User32 ',
    // A console logon (type 2) happens at the computer itself; other types name the client.
    AuthenticationPackageName: pkg, WorkstationName: type === LOGON_TYPES.Network && pkg === 'Kerberos' ? '-' : type === LOGON_TYPES.Interactive ? computerName(host) : (workstation ?? rng.pick(e.workstations)),
    LogonGuid: pkg === 'Kerberos' ? `{${rng.uuid()}}` : '{00000000-0000-0000-0000-000000000000}', TransmittedServices: '-', LmPackageName: pkg === 'NTLM' ? 'NTLM V2' : '-', KeyLength: pkg === 'NTLM' ? '128' : '0',
    ProcessId: network ? '0x0' : '0x2c4', ProcessName: network ? '-' : 'C:\\Windows\\System32\\svchost.exe', IpAddress: ip, IpPort: ip === '-' ? '-' : type === LOGON_TYPES.Interactive ? '0' : String(ephemeralPort(rng)),
    ImpersonationLevel: '%%1833', RestrictedAdminMode: type === LOGON_TYPES.RemoteInteractive ? '%%1843' : '-', TargetOutboundUserName: '-', TargetOutboundDomainName: '-', VirtualAccount: '%%1843', TargetLinkedLogonId: '0x0', ElevatedToken: '%%1842',
  });
}

/**
 * `workstation`: the client's name as NTLM sends it (one machine's), else drawn for a passer-by.
 * `sub` STATUS_ACCOUNT_LOCKED_OUT: a try at a locked account (its own status, reason %%2307).
 */
function failed4625(t: number, e: WinEnv, rng: Rng, host: string, user: string, ip: string, sub: string, workstation?: string): WindowsEvent {
  const locked = sub === STATUS_ACCOUNT_LOCKED_OUT;
  return ev(t, 4625, host, rng, {
    SubjectUserSid: 'S-1-0-0', SubjectUserName: '-', SubjectDomainName: '-', SubjectLogonId: '0x0',
    TargetUserSid: 'S-1-0-0', TargetUserName: user, TargetDomainName: e.domain,
    Status: locked ? STATUS_ACCOUNT_LOCKED_OUT : STATUS_LOGON_FAILURE, FailureReason: locked ? '%%2307' : '%%2313', SubStatus: locked ? '0x0' : sub, LogonType: String(LOGON_TYPES.Network), LogonProcessName: 'NtLmSsp ', AuthenticationPackageName: 'NTLM',
    WorkstationName: workstation ?? (rng.chance(0.5) ? '-' : `WIN-${rng.hex(8).toUpperCase()}`), TransmittedServices: '-', LmPackageName: '-', KeyLength: '0', ProcessId: '0x0', ProcessName: '-', IpAddress: ip, IpPort: String(ephemeralPort(rng)),
  });
}

function process4688(t: number, e: WinEnv, rng: Rng, host: string, u: User, logonId: string, image: string, cmd: string, parent: string, elevated: boolean): WindowsEvent {
  return ev(t, 4688, host, rng, {
    SubjectUserSid: u.sid, SubjectUserName: u.name, SubjectDomainName: u.domain ?? e.domain, SubjectLogonId: logonId,
    NewProcessId: `0x${rng.range(0x400, 0x3fff).toString(16)}`, NewProcessName: image, TokenElevationType: elevated ? '%%1937' : '%%1938', ProcessId: `0x${rng.range(0x400, 0x3fff).toString(16)}`,
    CommandLine: cmd, TargetUserSid: 'S-1-0-0', TargetUserName: '-', TargetDomainName: '-', TargetLogonId: '0x0', ParentProcessName: parent,
    MandatoryLabel: elevated ? 'S-1-16-12288' : 'S-1-16-8192',
  });
}

const BENIGN: readonly (readonly [(rng: Rng, e: WinEnv, t: number) => WindowsEvent, number])[] = [
  [(rng, e, t) => logon4624(t, e, rng, rng.pick(e.servers), rng.pick(e.users), LOGON_TYPES.Network, internalIp(rng, '10.20'), 'Kerberos'), 8],
  [(rng, e, t) => logon4624(t, e, rng, rng.pick(e.workstations) + '.' + e.fqdn, rng.pick(e.users), LOGON_TYPES.Interactive, '127.0.0.1', 'Negotiate'), 2],
  [(rng, e, t) => {
    const u = rng.pick(e.users);
    return ev(t, 4634, rng.pick(e.servers), rng, { TargetUserSid: u.sid, TargetUserName: u.name, TargetDomainName: e.domain, TargetLogonId: e.logonId(rng), LogonType: '3' });
  }, 7],
  [(rng, e, t) => {
    const host = rng.pick(e.servers);
    return ev(t, 4672, host, rng, { SubjectUserSid: SYSTEM_SID, SubjectUserName: 'SYSTEM', SubjectDomainName: 'NT AUTHORITY', SubjectLogonId: '0x3e7', PrivilegeList: SERVICE_PRIVILEGES });
  }, 3],
  [(rng, e, t) => {
    const [image, cmd, parent] = rng.pick(BENIGN_PROCESSES);
    const u = rng.pick(e.users);
    return process4688(t, e, rng, rng.pick(e.workstations) + '.' + e.fqdn, u, e.logonId(rng), image, cmd, parent, false);
  }, 5],
  [(rng, e, t) => {
    // A single mistyped password now and then.
    const u = rng.pick(e.users);
    return failed4625(t, e, rng, e.dc, u.name, internalIp(rng, '10.20'), SUB_BAD_PASSWORD);
  }, 1],
  [(rng, e, t) => {
    // A password changed while a mapped drive still holds the old one: the first of its tries.
    if (e.stale) return staleTry(rng, e, t);
    e.stale = { user: rng.pick(e.users), ip: internalIp(rng, '10.20'), workstation: rng.pick(e.workstations), server: rng.pick(e.memberServers), step: 0, steps: LOCKOUT_THRESHOLD + 1 + rng.range(2, 6) };
    return staleTry(rng, e, t);
  }, 0.0015],
];

/** A stale drive's next bad password, the lockout right after the last one, or a try at the locked account. */
function staleTry(rng: Rng, e: WinEnv, t: number): WindowsEvent {
  const s = e.stale!;
  const step = s.step++;
  if (s.step === s.steps) e.stale = null;
  if (step === LOCKOUT_THRESHOLD) return lockout4740(t, e, rng, s.user, s.workstation);
  return failed4625(t, e, rng, s.server, s.user.name, s.ip, step < LOCKOUT_THRESHOLD ? SUB_BAD_PASSWORD : STATUS_ACCOUNT_LOCKED_OUT, s.workstation);
}

/** The lockout is the next step: it comes with the last bad password, not at a later try. */
const lockoutDue = (s: StaleCredentials): boolean => s.step === LOCKOUT_THRESHOLD;

/** 4740 on the DC: `caller` is the computer the bad passwords came from. */
const lockout4740 = (t: number, e: WinEnv, rng: Rng, u: User, caller: string): WindowsEvent =>
  ev(t, 4740, e.dc, rng, { TargetUserName: u.name, TargetDomainName: caller, TargetSid: u.sid, SubjectUserSid: SYSTEM_SID, SubjectUserName: `${computerName(e.dc)}$`, SubjectDomainName: e.domain, SubjectLogonId: '0x3e7' });

/** Share of benign events that are a stale device's next try while one is on its way. */
const STALE_TRY_SHARE = 0.08;

const SCENARIOS: readonly ScenarioDef<WindowsEvent>[] = [
  {
    name: 'password-spray',
    technique: 'T1110.003',
    tactic: 'Credential Access',
    description: 'One address tries one password against many domain accounts over NTLM; an account locks out, then one logon succeeds',
    steps(rng, env) {
      const e = env as WinEnv;
      const ip = attackerIp(rng, env);
      const steps: ((t: number) => WindowsEvent)[] = [];
      const targets = [...e.users, { name: 'administrator', sid: `${e.domainSid}-500` }, { name: 'svc_sql', sid: '' }, { name: 'backup', sid: '' }];
      // One attacking machine: its name is in every try, the lockout's caller and the logon.
      const caller = `WIN-${rng.hex(8).toUpperCase()}`;
      // The tool first runs its whole password list against one account, which locks out at
      // the domain's threshold (a lockout needs that many bad passwords), then sprays one
      // password across the rest.
      const locked = targets[0] as User;
      for (let i = 0; i < LOCKOUT_THRESHOLD; i++) steps.push((t) => failed4625(t, e, rng, e.dc, locked.name, ip, SUB_BAD_PASSWORD, caller));
      steps.push((t) => lockout4740(t, e, rng, locked, caller));
      for (const u of targets.slice(1)) {
        const sub = u.sid === '' ? SUB_NO_SUCH_USER : SUB_BAD_PASSWORD;
        steps.push((t) => failed4625(t, e, rng, e.dc, u.name, ip, sub, caller));
      }
      const won = e.users[e.users.length - 1] as User;
      steps.push((t) => logon4624(t, e, rng, e.dc, won, LOGON_TYPES.Network, ip, 'NTLM', undefined, caller));
      return steps;
    },
  },
  {
    name: 'privilege-escalation',
    technique: 'T1098',
    tactic: 'Persistence, Privilege Escalation',
    description: 'A user on a server creates a local account and adds it to Administrators, which then logs on with admin privileges',
    steps(rng, env) {
      const e = env as WinEnv;
      // A member server: a domain controller has no local accounts to create.
      const host = rng.pick(e.memberServers);
      const u = e.users[1] as User;
      const logonId = e.logonId(rng);
      const local = computerName(host);
      const backdoor: User = { name: 'svc_update', sid: `S-1-5-21-${rng.range(1e9, 4e9)}-${rng.range(1e9, 4e9)}-${rng.range(1e9, 4e9)}-1003`, domain: local };
      const cmd = 'C:\\Windows\\System32\\cmd.exe';
      const net = 'C:\\Windows\\System32\\net.exe';
      const bdLogon = e.logonId(rng);
      return [
        (t) => logon4624(t, e, rng, host, u, LOGON_TYPES.RemoteInteractive, internalIp(rng, '10.20'), 'Negotiate', logonId),
        (t) => process4688(t, e, rng, host, u, logonId, net, 'net  user svc_update "P@ss w0rd!" /add', cmd, true),
        (t) => ev(t, 4720, host, rng, { TargetUserName: backdoor.name, TargetDomainName: local, TargetSid: backdoor.sid, SubjectUserSid: u.sid, SubjectUserName: u.name, SubjectDomainName: e.domain, SubjectLogonId: logonId, PrivilegeList: '-', SamAccountName: backdoor.name, DisplayName: '%%1793', UserPrincipalName: '-', HomeDirectory: '%%1793', HomePath: '%%1793', ScriptPath: '%%1793', ProfilePath: '%%1793', UserWorkstations: '%%1793', PasswordLastSet: '%%1794', AccountExpires: '%%1794', PrimaryGroupId: '513', AllowedToDelegateTo: '-', OldUacValue: '0x0', NewUacValue: '0x15', UserAccountControl: '\n\t\t%%2080\n\t\t%%2082\n\t\t%%2084', UserParameters: '%%1793', SidHistory: '-', LogonHours: '%%1797' }),
        (t) => process4688(t, e, rng, host, u, logonId, net, 'net  localgroup administrators svc_update /add', cmd, true),
        (t) => ev(t, 4732, host, rng, { MemberName: '-', MemberSid: backdoor.sid, TargetUserName: 'Administrators', TargetDomainName: 'Builtin', TargetSid: ADMINISTRATORS_SID, SubjectUserSid: u.sid, SubjectUserName: u.name, SubjectDomainName: e.domain, SubjectLogonId: logonId, PrivilegeList: '-' }),
        (t) => logon4624(t, e, rng, host, backdoor, LOGON_TYPES.Interactive, '127.0.0.1', 'Negotiate', bdLogon),
        (t) => ev(t, 4672, host, rng, { SubjectUserSid: backdoor.sid, SubjectUserName: backdoor.name, SubjectDomainName: local, SubjectLogonId: bdLogon, PrivilegeList: ADMIN_PRIVILEGES }),
        (t) => process4688(t, e, rng, host, backdoor, bdLogon, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'powershell.exe -NoProfile -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=', 'C:\\Windows\\explorer.exe', true),
      ];
    },
  },
];

const DESCRIPTION_BY_ID = Object.fromEntries(Object.entries(EVENT_SCHEMAS).map(([id, s]) => [id, `${id} - ${s.description}`]));

export const windows: LogTypeDef<WindowsEvent> = {
  name: 'windows',
  description: 'Windows Security events 4624/4625/4634/4672/4688/4720/4732/4740 as event XML, SecurityEvent-style columns',
  table: { name: 'WindowsSecurityLogs', columns: WindowsSecurityColumns },
  formats: ['raw', 'csv', 'jsonl'],
  defaultFormat: 'raw',
  scenarios: SCENARIOS,
  env(rng, req): WinEnv {
    const domainSid = `S-1-5-21-${rng.range(1e9, 4e9)}-${rng.range(1e9, 4e9)}-${rng.range(1e9, 4e9)}`;
    const fqdn = 'contoso.local';
    const users = FIRST_NAMES.slice(0, 18).map((n, i) => ({ name: n, sid: `${domainSid}-${1104 + i}` }));
    const dc = `DC01.${fqdn}`;
    const memberServers = [`FS01.${fqdn}`, `SQL01.${fqdn}`, `APP02.${fqdn}`];
    return {
      req, rng, domain: 'CONTOSO', fqdn, domainSid, dc,
      servers: [dc, ...memberServers],
      memberServers,
      workstations: Array.from({ length: 8 }, (_, i) => `WS-${String(100 + i * 7)}`),
      users,
      logonId: (r) => `0x${r.range(0x100000, 0xfffffff).toString(16)}`,
      stale: null,
    };
  },
  benign(rng, env, t) {
    const e = env as WinEnv;
    // The lockout comes with the last bad password; the other tries now and then.
    if (e.stale && (lockoutDue(e.stale) || rng.chance(STALE_TRY_SHARE))) return staleTry(rng, e, t);
    return rng.weighted(BENIGN)(rng, e, t);
  },
  records: () => 1,
  encoder(format, req, tf) {
    // Each computer numbers its own Security log: one counter per computer, each from its own
    // start (a log cleared or rolled over at some point before the dataset).
    const base = (req.seed >>> 0) % 9_000_000 + 100_000;
    const next = new Map<string, number>();
    const recordIdOf = (e: WindowsEvent): number => {
      let n = next.get(e.computer);
      if (n === undefined) n = base + (createHash('sha256').update(e.computer).digest().readUInt32BE(0) % 5_000_000);
      next.set(e.computer, n + 1);
      return n;
    };
    return tableEncoder<WindowsEvent>(format, {
      columns: WindowsSecurityColumns,
      rawExtension: 'xml.log',
      raw: (e) => windowsEventXml({ eventId: e.eventId, systemTime: tf.iso(e.t, 7), recordId: recordIdOf(e), processId: e.processId, threadId: e.threadId, computer: e.computer, data: e.data }) + '\n',
      rawWrite: (e, id, w) => {
        writeWindowsEventXml(w, { eventId: e.eventId, systemTime: e.t, recordId: recordIdOf(e), processId: e.processId, threadId: e.threadId, computer: e.computer, data: e.data }, tf);
        w.byte(0x0a);
      },
      rows: (e, id) => {
        const d = e.data;
        const s = EVENT_SCHEMAS[e.eventId];
        const g = (k: string): string => d[k] ?? '';
        const logonType = d.LogonType !== undefined ? Number(d.LogonType) : null;
        return [[
          tf.iso(e.t, 7), id, recordIdOf(e), e.computer, e.eventId, DESCRIPTION_BY_ID[e.eventId], s?.failure ? 'Audit Failure' : 'Audit Success', s?.task ?? null,
          g('SubjectUserSid'), g('SubjectUserName'), g('SubjectDomainName'), g('SubjectLogonId'),
          d.TargetUserSid ?? d.TargetSid ?? '', g('TargetUserName'), g('TargetDomainName'), g('TargetLogonId'),
          logonType, g('LogonProcessName'), g('AuthenticationPackageName'), g('WorkstationName'), g('IpAddress'), g('IpPort'),
          g('Status'), g('SubStatus'), g('NewProcessName'), g('CommandLine'), g('ParentProcessName'), g('PrivilegeList'), g('MemberName'), g('MemberSid'),
          d,
        ]];
      },
    });
  },
};
