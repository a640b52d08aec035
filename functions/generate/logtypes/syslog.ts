// Linux syslog: sshd, sudo, cron, systemd and kernel firewall lines from a few hosts.
// Scenarios: SSH brute force, sudo abuse, port scan (UFW BLOCK lines).
import { SyslogColumns } from '../../kusto/datasetTables.js';
import { FACILITIES, SEVERITIES, pri, rfc3164, rfc5424, rfc5424Writer, type SdElement } from '../encoders/syslog.js';
import { tableEncoder } from '../encoders/table.js';
import { pidAtFirstUse } from '../pids.js';
import { attackerIp, ephemeralPort, externalIp, hostNames, internalIp, INVALID_GUESSES, LINUX_USERS, SSHD_MAX_AUTH_TRIES } from '../names.js';
import type { Rng } from '../prng.js';
import type { ResolvedRequest } from '../request.js';
import type { ByteWriter } from '../bytes.js';
import type { TimeFormat } from '../time.js';
import type { GenEnv, LogTypeDef, ScenarioDef } from '../types.js';

export interface SyslogEvent {
  t: number;
  facility: number;
  severity: number;
  host: string;
  app: string;
  pid: number;
  msgId: string;
  sd: SdElement[] | null;
  msg: string;
  srcIp: string;
  user: string;
}

const F = { kern: 0, daemon: 3, auth: 4, cron: 9, authpriv: 10 } as const;
const S = { alert: 1, err: 3, warning: 4, notice: 5, info: 6 } as const;

interface SyslogEnv extends GenEnv {
  hosts: string[];
  admins: string[];
  /** Per admin (index for index): the pam session-opened and -closed messages, built once. */
  sessionOpened: string[];
  sessionClosed: string[];
  /** Per admin: sudo's pam session-opened message. */
  sudoOpened: string[];
  /** Monotone pid source per host keeps pids plausible (increasing, wrapping). */
  pid: () => number;
  /**
   * Live admin SSH sessions (slot → sshd pid; sessionUser = admin index): a session's later
   * lines (session opened, disconnect, session closed) come from the sshd that accepted it,
   * an older pid, as attack connections' later lines do, each once and in that order.
   */
  sessions: Int32Array;
  /** Each slot's next line (SessionPhase). */
  sessionPhase: Uint8Array;
  sessionUser: Uint8Array;
  /** Host index of each live session: its lines stay on the host that accepted it. */
  sessionHost: Uint8Array;
  /** Client address and port of each live session: its disconnect names the peer that logged in. */
  sessionIp: string[];
  sessionPort: Int32Array;
  /** The benign failed SSH connection being written, if any. */
  failing: FailingConnection | null;
  /** The cron job and the sudo run last started: their later lines share the pid. */
  cronPid: number;
  cronHost: string;
  sudoPid: number;
  sudoUser: number;
  sudoHost: string;
  /** Hosts whose timesyncd has made its initial synchronization. */
  synced: Set<string>;
  /** Each host's own address, NIC MAC and boot time (µs): its kernel's UFW lines carry them. */
  nic: Map<string, HostNic>;
}

interface HostNic {
  ip: string;
  mac: string;
  bootUs: number;
}

const LIVE_SESSIONS = 16;
const TIME_QUALITY: SdElement[] = [{ id: 'timeQuality', params: [['tzKnown', '1'], ['isSynced', '1']] }];
/** Sessions already open when the log starts: their Accepted lines are before it. */
const SESSIONS_AT_START = 5;

/** A session slot's next line: free (the next is an Accepted), then opened, disconnect, closed. */
const enum SessionPhase {
  Free = 0,
  Accepted = 1,
  Opened = 2,
  Disconnected = 3,
}

/** Slot `j` holds a new session: its sshd pid, admin index, host index and client address and port. */
function openSession(env: SyslogEnv, j: number, pid: number, user: number, host: number, ip: string, port: number, phase: SessionPhase): void {
  env.sessions[j] = pid;
  env.sessionPhase[j] = phase;
  env.sessionUser[j] = user;
  env.sessionHost[j] = host;
  env.sessionIp[j] = ip;
  env.sessionPort[j] = port;
}

/** A slot in `phase`, looked for from a random one; −1 when none is. */
function slotIn(rng: Rng, env: SyslogEnv, phase: SessionPhase): number {
  const start = rng.int(LIVE_SESSIONS);
  for (let k = 0; k < LIVE_SESSIONS; k++) {
    const j = (start + k) % LIVE_SESSIONS;
    if (env.sessionPhase[j] === phase) return j;
  }
  return -1;
}

/**
 * The next line of a session in `phase`, else of the next phase that has one (a free slot
 * starts a session): every session writes Accepted, session opened, disconnect and session
 * closed once each, in that order, from its own sshd.
 */
function sessionLine(rng: Rng, env: SyslogEnv, t: number, phase: SessionPhase): SyslogEvent {
  let j = -1;
  for (let k = 0; k < 4 && j < 0; k++) j = slotIn(rng, env, ((phase + k) % 4) as SessionPhase);
  const host = env.hosts[env.sessionHost[j] as number] as string;
  const user = env.sessionUser[j] as number;
  // A session open before the log gets its pid at its first line, as every process here does.
  const pid = env.sessions[j] || (env.sessions[j] = env.pid());
  const ip = env.sessionIp[j] as string;
  switch (env.sessionPhase[j] as SessionPhase) {
    case SessionPhase.Free: {
      const k = rng.int(env.admins.length);
      const h = rng.int(env.hosts.length);
      const newPid = env.pid();
      const newIp = internalIp(rng);
      openSession(env, j, newPid, k, h, newIp, ephemeralPort(rng), SessionPhase.Accepted);
      const name = env.admins[k] as string;
      return evAt(t, env.hosts[h] as string, 'sshd', newPid, F.auth, S.info, `Accepted publickey for ${name} from ${newIp} port ${env.sessionPort[j]} ssh2: ED25519 ${rng.pick(KEY_FPS)}`, newIp, name);
    }
    case SessionPhase.Accepted:
      env.sessionPhase[j] = SessionPhase.Opened;
      return evAt(t, host, 'sshd', pid, F.authpriv, S.info, env.sessionOpened[user] as string, '', env.admins[user] as string);
    case SessionPhase.Opened:
      env.sessionPhase[j] = SessionPhase.Disconnected;
      return evAt(t, host, 'sshd', pid, F.auth, S.info, `Received disconnect from ${ip} port ${env.sessionPort[j]}:11: disconnected by user`, ip);
    case SessionPhase.Disconnected:
      env.sessionPhase[j] = SessionPhase.Free;
      return evAt(t, host, 'sshd', pid, F.authpriv, S.info, env.sessionClosed[user] as string, '', env.admins[user] as string);
  }
}

/** pam_unix's line for a failed SSH password (no `user=` for a name the host lacks). */
const pamAuthFailure = (ip: string, user = ''): string => `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}${user ? `  user=${user}` : ''}`;

type Template = (rng: Rng, env: SyslogEnv, t: number) => SyslogEvent;

/** A benign failed SSH connection: its lines (message, priority), written one per event. */
interface FailingConnection {
  host: string;
  pid: number;
  ip: string;
  user: string;
  lines: (readonly [string, Priority])[];
  next: number;
}

/** An admin's mistyped password from inside (2 in 5), or an internet scanner's guess at a name. */
function failingConnection(rng: Rng, env: SyslogEnv): FailingConnection {
  const port = ephemeralPort(rng);
  const base = { host: rng.pick(env.hosts), pid: env.pid(), next: 0 };
  if (rng.chance(0.4)) {
    const user = env.admins[rng.int(env.admins.length)] as string;
    const ip = internalIp(rng);
    return {
      ...base, ip, user,
      lines: [
        [pamAuthFailure(ip, user), PAM],
        [`Failed password for ${user} from ${ip} port ${port} ssh2`, SSHD],
        [`Connection closed by authenticating user ${user} ${ip} port ${port} [preauth]`, SSHD],
      ],
    };
  }
  const user = rng.pick(INVALID_GUESSES);
  const ip = externalIp(rng, env);
  return { ...base, ip, user, lines: [[`Invalid user ${user} from ${ip} port ${port}`, SSHD], [`Connection closed by invalid user ${user} ${ip} port ${port} [preauth]`, SSHD]] };
}

const ev = (
  host: string, app: string, pid: number, facility: number, severity: number, msg: string, srcIp = '', user = '', msgId = '', sd: SdElement[] | null = null,
): Omit<SyslogEvent, 't'> => ({ facility, severity, host, app, pid, msgId, sd, msg, srcIp, user });
/** `{ t, ...ev(…) }` in one object (benign traffic: one allocation per event, not two). */
const evAt = (
  t: number, host: string, app: string, pid: number, facility: number, severity: number, msg: string, srcIp = '', user = '', msgId = '', sd: SdElement[] | null = null,
): SyslogEvent => ({ t, facility, severity, host, app, pid, msgId, sd, msg, srcIp, user });

const SYSTEMD_UNITS = ['apt-daily.service', 'logrotate.service', 'man-db.service', 'fstrim.service', 'systemd-tmpfiles-clean.service', 'motd-news.service'] as const;
/** SYSTEMD_UNITS without the first '.service', index for index. */
const SYSTEMD_UNIT_NAMES = SYSTEMD_UNITS.map((u) => u.replace('.service', ''));
const CRON_CMDS = ['cd / && run-parts --report /etc/cron.hourly', '/usr/lib/php/sessionclean', 'test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )', '/usr/local/bin/backup.sh >/dev/null 2>&1'] as const;
const SUDO_CMDS = ['/usr/bin/systemctl restart nginx', '/usr/bin/apt-get update', '/usr/bin/journalctl -u app --since today', '/usr/bin/docker ps', '/bin/systemctl status postgresql'] as const;
// Messages drawn whole from a table are built once (the same strings, one pick each).
const CRON_MSGS = CRON_CMDS.map((c) => `(root) CMD (${c})`);
const STARTING_MSGS = SYSTEMD_UNIT_NAMES.map((u) => `Starting ${u}...`);
const DEACTIVATED_MSGS = SYSTEMD_UNITS.map((u) => `${u}: Deactivated successfully.`);
/** The retry count pam_unix reports above (it logs "ignoring max retries"). */
const PAM_MAX_TRIES = 3;
/** Facility and severity: sshd logs to auth (errors as err), PAM to authpriv (failures as notice). */
type Priority = readonly [facility: number, severity: number];
const SSHD: Priority = [F.auth, S.info];
const SSHD_ERROR: Priority = [F.auth, S.err];
const PAM: Priority = [F.authpriv, S.notice];
const PAM_SESSION: Priority = [F.authpriv, S.info];
/**
 * sudo's own lines: a command run at authpriv.notice (syslog_goodpri), a refusal or wrong
 * passwords at authpriv.alert (syslog_badpri); its PAM lines as PAM writes them.
 */
const SUDO_OK: Priority = [F.authpriv, S.notice];
const SUDO_BAD: Priority = [F.authpriv, S.alert];
const KEY_FPS = ['SHA256:Vq3Hx0cWQZ1fX3m9uJ9h2l5kq8sR4tY6oP1aB2cD3eE', 'SHA256:n7Tq0pZbLk2Jc9Xv5Rr8Ww1Ee4Yy6Uu3Ii0Oo2Pp5Aa', 'SHA256:4dLk9Qw2Er7Ty1Ui8Op3As6Df0Gh5Jk2Lz9Xc4Vb7Nm'] as const;

// Weighted benign traffic of a quiet fleet.
const BENIGN: readonly (readonly [Template, number])[] = [
  [(rng, env, t) => sessionLine(rng, env, t, SessionPhase.Free), 3],
  [(rng, env, t) => sessionLine(rng, env, t, SessionPhase.Accepted), 3],
  [(rng, env, t) => sessionLine(rng, env, t, SessionPhase.Disconnected), 3],
  [(rng, env, t) => sessionLine(rng, env, t, SessionPhase.Opened), 2],
  // Failed SSH logins are everyday noise too: an admin's mistyped password from inside, and
  // the internet's guesses at any exposed sshd (one name, then the scanner hangs up). Each is a
  // whole connection, its lines from one sshd process as sshd and PAM write them, interleaved
  // with other traffic.
  [(rng, env, t) => {
    let conn = env.failing;
    if (conn === null || conn.next >= conn.lines.length) conn = env.failing = failingConnection(rng, env);
    const [msg, [facility, severity]] = conn.lines[conn.next++] as [string, Priority];
    return evAt(t, conn.host, 'sshd', conn.pid, facility, severity, msg, conn.ip, conn.user);
  }, 0.1],
  [(rng, env, t) => evAt(t, (env.cronHost = rng.pick(env.hosts)), 'CRON', (env.cronPid = env.pid()), F.authpriv, S.info, 'pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)', '', 'root'), 4],
  // The job's CMD line comes from the cron process that opened its session.
  [(rng, env, t) => evAt(t, env.cronPid ? env.cronHost : (env.cronHost = rng.pick(env.hosts)), 'CRON', env.cronPid || (env.cronPid = env.pid()), F.cron, S.info, rng.pick(CRON_MSGS), '', 'root'), 4],
  [(rng, env, t) => evAt(t, rng.pick(env.hosts), 'systemd', 1, F.daemon, S.info, rng.pick(STARTING_MSGS)), 3],
  [(rng, env, t) => evAt(t, rng.pick(env.hosts), 'systemd', 1, F.daemon, S.info, rng.pick(DEACTIVATED_MSGS)), 3],
  [(rng, env, t) => {
    const k = (env.sudoUser = rng.int(env.admins.length));
    const user = env.admins[k] as string;
    // Deploys run from the web root now and then.
    const pwd = rng.chance(0.2) ? '/var/www' : `/home/${user}`;
    return evAt(t, (env.sudoHost = rng.pick(env.hosts)), 'sudo', (env.sudoPid = env.pid()), SUDO_OK[0], SUDO_OK[1], `${user} : TTY=pts/${rng.int(4)} ; PWD=${pwd} ; USER=root ; COMMAND=${rng.pick(SUDO_CMDS)}`, '', user);
  }, 2],
  // The admin's sudo run opens (and closes) a root PAM session, from the same sudo process.
  [(rng, env, t) => evAt(t, env.sudoPid ? env.sudoHost : (env.sudoHost = rng.pick(env.hosts)), 'sudo', env.sudoPid || (env.sudoPid = env.pid()), PAM_SESSION[0], PAM_SESSION[1], env.sudoOpened[env.sudoUser] as string, '', env.admins[env.sudoUser] as string), 1.5],
  [(rng, env, t) => evAt(t, env.sudoPid ? env.sudoHost : (env.sudoHost = rng.pick(env.hosts)), 'sudo', env.sudoPid || (env.sudoPid = env.pid()), PAM_SESSION[0], PAM_SESSION[1], 'pam_unix(sudo:session): session closed for user root', '', env.admins[env.sudoUser] as string), 1.5],
  // An admin mistypes the sudo password: PAM's failure, and sudo's count of wrong tries at
  // its bad priority (sudo logs it even when a later try succeeds).
  [(rng, env, t) => {
    const k = rng.int(env.admins.length);
    const user = env.admins[k] as string;
    const pid = (env.sudoPid = env.pid());
    const host = (env.sudoHost = rng.pick(env.hosts));
    env.sudoUser = k;
    const r = rng.float();
    // Or a command outside the admin's own sudo rule (a root shell where the rule lists services).
    return r < 0.45
      ? evAt(t, host, 'sudo', pid, PAM[0], PAM[1], `pam_unix(sudo:auth): authentication failure; logname=${user} uid=${1000 + k} euid=0 tty=/dev/pts/${rng.int(4)} ruser=${user} rhost=  user=${user}`, '', user)
      : r < 0.9
        ? evAt(t, host, 'sudo', pid, SUDO_BAD[0], SUDO_BAD[1], `${user} : 1 incorrect password attempt ; TTY=pts/${rng.int(4)} ; PWD=/home/${user} ; USER=root ; COMMAND=${rng.pick(SUDO_CMDS)}`, '', user)
        : evAt(t, host, 'sudo', pid, SUDO_BAD[0], SUDO_BAD[1], `${user} : command not allowed ; TTY=pts/${rng.int(4)} ; PWD=/home/${user} ; USER=root ; COMMAND=/bin/bash`, '', user);
  }, 0.1],
  // timesyncd syncs once per boot; afterwards it speaks only when a server stops answering.
  [(rng, env, t) => {
    const host = rng.pick(env.hosts);
    const first = !env.synced.has(host);
    env.synced.add(host);
    const server = `${internalIp(rng, '10.255')}:123 (ntp.internal)`;
    return evAt(t, host, 'systemd-timesyncd', env.pid(), F.daemon, S.info, first ? `Initial synchronization to time server ${server}.` : `Timed out waiting for reply from ${server}.`, '', '', '', TIME_QUALITY);
  }, 0.3],
  [(rng, env, t) => {
    // A stray blocked connection from the internet: normal background noise on any host.
    const ip = externalIp(rng, env);
    const host = rng.pick(env.hosts);
    return evAt(t, host, 'kernel', 0, F.kern, S.warning, ufwBlock(rng, env.nic.get(host)!, t, ip, rng.pick([23, 445, 3389, 8080])), ip);
  }, 1],
];

/**
 * The kernel's UFW line on `nic`'s host at `t`: its uptime ("%5lu.%06lu" seconds since boot)
 * grows with time, DST is the host's own address and MAC its NIC's, then the gateway's.
 */
function ufwBlock(rng: Rng, nic: HostNic, t: number, src: string, dpt: number): string {
  const up = Math.max(0, t - nic.bootUs);
  const uptime = `${String(Math.floor(up / 1_000_000)).padStart(5, ' ')}.${String(up % 1_000_000).padStart(6, '0')}`;
  return `[${uptime}] [UFW BLOCK] IN=eth0 OUT= MAC=${nic.mac}:12:34:56:78:9a:bc:08:00 SRC=${src} DST=${nic.ip} LEN=44 TOS=0x00 PREC=0x00 TTL=${rng.range(40, 250)} ID=${rng.range(1, 65535)} PROTO=TCP SPT=${ephemeralPort(rng)} DPT=${dpt} WINDOW=1024 RES=0x00 SYN URGP=0`;
}

const SCENARIOS: readonly ScenarioDef<SyslogEvent>[] = [
  {
    name: 'ssh-brute-force',
    technique: 'T1110.001',
    tactic: 'Credential Access',
    description: 'One internet address guesses passwords over SSH (invalid users, then several tries a connection as root) and logs in as root',
    steps(rng, env) {
      const e = env as SyslogEnv;
      const host = rng.pick(e.hosts);
      const ip = attackerIp(rng, env);
      const steps: ((t: number) => SyslogEvent)[] = [];
      // One sshd process a connection: its pid is drawn when its first line is written.
      const line = (pid: () => number, msg: string, srcIp = ip, user = '', [facility, severity]: Priority = SSHD): void => {
        steps.push((t) => ({ t, ...ev(host, 'sshd', pid(), facility, severity, msg, srcIp, user) }));
      };
      // One connection per guessed user name (none of them exists).
      const invalid = rng.range(8, 14);
      for (let i = 0; i < invalid; i++) {
        const user = rng.pick(INVALID_GUESSES);
        const pid = pidAtFirstUse(e.pid);
        const port = ephemeralPort(rng);
        line(pid, `Invalid user ${user} from ${ip} port ${port}`, ip, user);
        line(pid, 'pam_unix(sshd:auth): check pass; user unknown', '', '', PAM);
        line(pid, pamAuthFailure(ip), ip, '', PAM);
        line(pid, `Failed password for invalid user ${user} from ${ip} port ${port} ssh2`, ip, user);
        line(pid, `Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`);
        line(pid, `Disconnected from invalid user ${user} ${ip} port ${port} [preauth]`, ip, user);
      }
      // Then root, several passwords a connection. sshd writes the same "Failed password" line
      // for each try of one connection, and rsyslog (repeated-message reduction, on in Debian
      // and Ubuntu) folds the repeats into "message repeated N times: [ … ]".
      const rootConnections = rng.range(2, 3);
      for (let c = 0; c < rootConnections; c++) {
        const tries = c === 0 ? SSHD_MAX_AUTH_TRIES : rng.range(2, SSHD_MAX_AUTH_TRIES);
        const pid = pidAtFirstUse(e.pid);
        const port = ephemeralPort(rng);
        const failed = `Failed password for root from ${ip} port ${port} ssh2`;
        line(pid, pamAuthFailure(ip, 'root'), ip, 'root', PAM);
        line(pid, failed, ip, 'root');
        // One repeat is written again as it is; rsyslog folds two and more.
        line(pid, tries === 2 ? failed : `message repeated ${tries - 1} times: [ ${failed}]`, ip, 'root');
        if (tries === SSHD_MAX_AUTH_TRIES) {
          line(pid, `error: maximum authentication attempts exceeded for root from ${ip} port ${port} ssh2 [preauth]`, ip, 'root', SSHD_ERROR);
          line(pid, `Disconnecting authenticating user root ${ip} port ${port}: Too many authentication failures [preauth]`, ip, 'root');
        } else {
          line(pid, `Disconnected from authenticating user root ${ip} port ${port} [preauth]`, ip, 'root');
        }
        line(pid, `PAM ${tries - 1} more authentication ${tries === 2 ? 'failure' : 'failures'}; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=root`, ip, 'root', PAM);
        if (tries > PAM_MAX_TRIES) line(pid, `PAM service(sshd) ignoring max retries; ${tries} > ${PAM_MAX_TRIES}`, '', '', PAM);
      }
      const pid = pidAtFirstUse(e.pid);
      const port = ephemeralPort(rng);
      line(pid, `Accepted password for root from ${ip} port ${port} ssh2`, ip, 'root');
      line(pid, 'pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)', '', 'root', PAM_SESSION);
      return steps;
    },
  },
  {
    name: 'sudo-abuse',
    technique: 'T1548.003',
    tactic: 'Privilege Escalation',
    description: 'A service account tries root shells its mis-granted sudo rule does not allow, fails passwords, then reads /etc/shadow through that rule',
    steps(rng, env) {
      const e = env as SyslogEnv;
      const host = rng.pick(e.hosts);
      const user = 'www-data';
      // The account has a sudo rule (find, granted by mistake), so sudo refuses other commands
      // as "command not allowed"; "user NOT in sudoers" is for a user with no rule at all.
      const msgs = [
        `${user} : command not allowed ; TTY=pts/1 ; PWD=/var/www ; USER=root ; COMMAND=/bin/bash`,
        `${user} : command not allowed ; TTY=pts/1 ; PWD=/var/www ; USER=root ; COMMAND=/bin/sh -i`,
        `pam_unix(sudo:auth): authentication failure; logname=${user} uid=33 euid=0 tty=/dev/pts/1 ruser=${user} rhost=  user=${user}`,
        `${user} : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/var/www ; USER=root ; COMMAND=/usr/bin/su -`,
        `${user} : TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/find /etc -name shadow -exec /bin/cat {} ;`,
        `pam_unix(sudo:session): session opened for user root(uid=0) by ${user}(uid=33)`,
      ];
      // Priorities as sudo and PAM write them: refusals and wrong passwords at sudo's bad
      // priority (alert), the PAM failure at notice, the command run at notice, its session at info.
      const prio: readonly Priority[] = [SUDO_BAD, SUDO_BAD, PAM, SUDO_BAD, SUDO_OK, PAM_SESSION];
      // Each refused or failed line is its own sudo run (a new process, drawn when the line is
      // written); the successful run's session line comes from the same sudo process.
      const run = pidAtFirstUse(e.pid);
      return msgs.map((m, i) => (t: number) => ({ t, ...ev(host, 'sudo', i >= 4 ? run() : e.pid(), prio[i]![0], prio[i]![1], m, '', user) }));
    },
  },
  {
    name: 'port-scan',
    technique: 'T1046',
    tactic: 'Discovery',
    description: 'One internet address sends SYNs to many ports of one host; the host firewall logs UFW BLOCK lines',
    steps(rng, env) {
      const e = env as SyslogEnv;
      const host = rng.pick(e.hosts);
      const src = attackerIp(rng, env);
      const ports = [21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1433, 1723, 3306, 3389, 5432, 5900, 6379, 8080, 8443, 9200, 27017];
      return ports.map((p) => (t: number) => ({ t, ...ev(host, 'kernel', 0, F.kern, S.warning, ufwBlock(rng, e.nic.get(host)!, t, src, p), src) }));
    },
  },
];

export const syslog: LogTypeDef<SyslogEvent> = {
  name: 'syslog',
  description: 'Linux syslog (sshd, sudo, cron, systemd, kernel firewall) as RFC 5424 or RFC 3164',
  table: { name: 'SyslogLogs', columns: SyslogColumns },
  formats: ['raw', 'csv', 'jsonl'],
  defaultFormat: 'raw',
  scenarios: SCENARIOS,
  env(rng: Rng, req: ResolvedRequest): SyslogEnv {
    const hosts = hostNames(rng, 6);
    let pid = rng.range(1000, 30000);
    const admins = LINUX_USERS.slice(0, 6);
    const env: SyslogEnv = {
      req,
      rng,
      hosts,
      admins,
      sessionOpened: admins.map((u, i) => `pam_unix(sshd:session): session opened for user ${u}(uid=${1000 + i}) by (uid=0)`),
      sessionClosed: admins.map((u) => `pam_unix(sshd:session): session closed for user ${u}`),
      sudoOpened: admins.map((u, i) => `pam_unix(sudo:session): session opened for user root(uid=0) by ${u}(uid=${1000 + i})`),
      sessions: new Int32Array(LIVE_SESSIONS),
      sessionPhase: new Uint8Array(LIVE_SESSIONS),
      sessionUser: new Uint8Array(LIVE_SESSIONS),
      sessionHost: new Uint8Array(LIVE_SESSIONS),
      sessionIp: Array.from({ length: LIVE_SESSIONS }, () => ''),
      sessionPort: new Int32Array(LIVE_SESSIONS),
      failing: null,
      cronPid: 0,
      cronHost: '',
      sudoPid: 0,
      sudoUser: 0,
      sudoHost: '',
      pid: () => (pid = pid >= 4_194_303 ? 300 : pid + 1 + (pid & 7)),
      synced: new Set(),
      // Booted an hour to 40 days before the log starts.
      nic: new Map(hosts.map((h) => [h, { ip: internalIp(rng), mac: `00:0d:3a:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}`, bootUs: Date.parse(req.start) * 1000 - rng.range(3600, 40 * 86_400) * 1_000_000 - rng.int(1_000_000) }])),
    };
    // Sessions open before the log starts, already past their Accepted line (pid: at first line).
    for (let j = 0; j < SESSIONS_AT_START; j++)
      openSession(env, j, 0, rng.int(admins.length), rng.int(hosts.length), internalIp(rng), ephemeralPort(rng), SessionPhase.Opened);
    return env;
  },
  benign(rng, env, t) {
    return rng.weighted(BENIGN)(rng, env as SyslogEnv, t);
  },
  // RFC 3164 times are whole seconds; RFC 5424 ones carry microseconds.
  timeUnitUs: (req) => (req.syslog?.protocol === 'rfc3164' ? 1_000_000 : 1),
  records: () => 1,
  encoder(format, req: ResolvedRequest, tf: TimeFormat) {
    const proto = req.syslog?.protocol ?? 'rfc5424';
    const withPri = req.syslog?.pri ?? true;
    const write5424 = rfc5424Writer(tf);
    return tableEncoder<SyslogEvent>(format, {
      columns: SyslogColumns,
      raw:
        proto === 'rfc5424'
          ? (e) => rfc5424(pri(e.facility, e.severity), tf.iso(e.t, 6), e.host, e.app, e.pid > 0 ? String(e.pid) : '', e.msgId, e.sd, e.msg) + '\n'
          : (e) => rfc3164(withPri ? pri(e.facility, e.severity) : null, tf.bsd(e.t), e.host, e.app, e.pid, e.msg) + '\n',
      ...(proto === 'rfc5424' ? { rawWrite: (e: SyslogEvent, _id: number, w: ByteWriter) => write5424(w, pri(e.facility, e.severity), e.t, e.host, e.app, e.pid, e.msgId, e.sd, e.msg) } : {}),
      rows: (e, id) => [[
        tf.iso(e.t, proto === 'rfc5424' ? 6 : 0),
        id,
        proto,
        FACILITIES[e.facility],
        e.facility,
        SEVERITIES[e.severity],
        e.severity,
        e.host,
        e.app,
        e.pid > 0 ? e.pid : null,
        e.msgId,
        e.sd && proto === 'rfc5424' ? Object.fromEntries(e.sd.map((el) => [el.id, Object.fromEntries(el.params)])) : null,
        e.msg,
        e.srcIp,
        e.user,
      ]],
    });
  },
};
