import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auditDecode } from '../functions/generate/encoders/auditd.js';
import { EVENT_SCHEMAS, LOGON_TYPES } from '../functions/generate/encoders/windows.js';
import { DatasetRequest, datasetRequestSchema, GENERATOR_VERSION, GENERATORS, generateAksBodies, LOG_TYPES, PlanError, requestHash, resolveRequest, writeDataset, type DatasetRequestInput } from '../functions/generate/index.js';
import { events } from '../functions/generate/engine.js';
import { Rng } from '../functions/generate/prng.js';

async function gen(input: DatasetRequestInput): Promise<{ text: string; sha: string; summary: Awaited<ReturnType<typeof writeDataset>> }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
  const summary = await writeDataset(resolveRequest(DatasetRequest.parse(input)), sink);
  const buf = Buffer.concat(chunks);
  return { text: buf.toString('utf8'), sha: createHash('sha256').update(buf).digest('hex'), summary };
}

const TYPES = LOG_TYPES.map((t) => t.name);

describe('PRNG', () => {
  it('is seeded: seed 0 works and differs from seed 1; streams are independent', () => {
    const a = new Rng(0);
    const b = new Rng(0);
    const c = new Rng(1);
    const xs = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.u32())).not.toEqual(xs);
    expect(new Rng(0, 'x').u32()).not.toBe(new Rng(0, 'y').u32());
    expect(new Rng(-5).u32()).not.toBe(new Rng(5).u32());
    expect(new Rng(2 ** 40).u32()).not.toBe(new Rng(0).u32());
  });
});

// sha256 of {logType, count: 500, seed: 0, scenarios: ['all']} in the default format. These
// pin the output across machines, time zones and Node releases: a change here must come
// with a GENERATOR_VERSION bump (it names the blobs), and then the pins are updated.
const GOLDEN = {
  // Version 6: attackers' internet addresses are set aside per seed (cef, syslog, auditd,
  // windows, aks-*); times are whole units of what the records carry, so labels give the rows'
  // own times; syslog sessions keep their peer, benign sshd failures, no "repeated 1 times";
  // auditd sudo is exec'd (setuid) before it authenticates, benign sudo runs exec it too;
  // windows local accounts keep their domain, console logons name their computer, port 0.
  // verifone's bytes did not change (only its labels' time digits could), so its pin did not.
  // Version 7: auditd's failed SSH tries (the attack's and admins' typos) also write sshd's own
  // USER_LOGIN res=failed; only the auditd pin changed.
  // Version 8: auditd's brute force is connections, as syslog's: one per invalid user name, whose
  // sshd USER_LOGIN names "(invalid user)" (twice more before the try), then root, several
  // tries a connection; benign internet scanners write the invalid-user pair too; only the
  // auditd pin changed.
  // Version 9: auditd scenario fields no longer give the attack away: a scenario's first
  // parent pid is drawn when it forks (it was the dataset's first pid), sessions and the
  // shadow reader's login uid are drawn as benign ones, one inode per file on a host; only
  // the auditd pin changed. Windows (same version, one release): each computer numbers its
  // own EventRecordIDs, 4688 is written by System (ProcessID 4), the spray's machine has one
  // name in every try, the lockout and the logon, and the local backdoor account is made on
  // a member server, never the DC; a lockout follows 5 bad passwords for its account (it
  // followed one); the windows pin changed. CEF: benign web flows carry
  // request= URLs (URL logging), some go to 8443, backups upload there too, and scanners
  // knock on any port now and then; the cef pin changed. Verifone: each store has its own
  // manager, who signs on for refunds (some keyed) in benign traffic too; cashiers key phone
  // orders; card testing runs under a cashier's session; keyed sales get no PIN decline; the
  // verifone pin changed. Syslog: an admin's SSH session writes Accepted, session opened,
  // disconnect and session closed once each, in order, from its sshd (lines were drawn from
  // random session slots: one pid could open three times and disconnect before it opened),
  // and a host's UFW lines carry its own address, NIC and an uptime that grows; sudo-abuse's
  // refusals read "command not allowed" (the account has a rule); the syslog pin changed.
  // AKS: secrets and configmaps are audited at Metadata, as AKS's policy has them (the
  // anonymous list of secrets and kubelets' configmap watches were at Request); the
  // aks-audit and aks-diagnostics pins changed. Last, values that marked an attack alone
  // became everyday too: www-data execs (auditd), a few-cent and big-ticket baskets and big
  // refunds (verifone), sudo from /var/www and an admin's "command not allowed" (syslog);
  // timesyncd synchronizes once per host. Those three pins changed again.
  // Version 10, AKS only: the cluster's team (two admins and the developer whose account the
  // attacks use) works with kubectl beside the attacks, from the team's own addresses, so
  // neither the user name nor kubectl's agent marks an attack; the three AKS pins changed.
  // Then, after a review against kubectl and the apiserver: streams (pods/log, a kubelet's
  // watch) are audited at ResponseStarted and ResponseComplete (ResponseStarted was the exec
  // attack's alone), their access lines carry no APF fields, the team's requests name their
  // RBAC binding, a rollout restart answers the whole Deployment a generation on, and pod
  // names use Kubernetes' own alphabet and the web app's stable pods; the AKS pins changed again.
  // And after the final review: the two stages of a stream come from one apiserver, watches
  // already running at the start complete in its first minutes, at most 2,048 streams are held
  // open, and the scheduler binds a CronJob's pods; the aks-audit and aks-diagnostics pins changed.
  // Windows: benign traffic locks an account out now and then (a mapped drive holding an old
  // password: 5 bad passwords from one workstation on its file server, then 4740 on the DC and
  // tries at the locked account), about once per 15,000-30,000 events; the 500-event pin did
  // not change.
  version: 10,
  sha256: {
    syslog: '1b9a02452e2da3a6b173a0a3f4b87a3c0b863dc75f5846bc43e9ea74a808dcf1',
    auditd: 'bcf98bb97e844ee9faf63a36c0963cb70a5f2df30bfeb83806a635e119514985',
    cef: 'a6dbe48dfa6361280e99e3b80626084607b87b6921c7a78a300f05796f9880e4',
    windows: '07c57da7514b716e2bec725a70d72afe9bd18cd194be706b309dcca1461e9922',
    verifone: 'b2ee3207a5924c3f80d3a71d72db1e04aeab5e01918be1dc3bd02fc276d45cf4',
    'aks-audit': 'c846a57878eca87bdcbbd1bf07d05b51f0e9f1cfdf71731cb36d16e63fe76e66',
    'aks-apiserver': 'eb6e76af953e211186554fe0ac47b686c1dd7e3a2e716790a3d0e8aad2fb7d10',
    'aks-diagnostics': 'db3b12062508a89fa14d6af08ce5f305e76c86119824ef0cab656c8373ad7afa',
  } as Record<string, string>,
};

describe('golden output', () => {
  it.each(TYPES)('%s seed 0 is the pinned bytes (bump GENERATOR_VERSION when it changes)', async (logType) => {
    const { sha } = await gen({ logType, count: 500, seed: 0, scenarios: ['all'] });
    expect({ version: GENERATOR_VERSION, sha }).toEqual({ version: GOLDEN.version, sha: GOLDEN.sha256[logType] });
  });
});

describe.each(TYPES)('%s dataset', (logType) => {
  const info = LOG_TYPES.find((t) => t.name === logType)!;
  it('is byte-identical for the same request (seed 0) and differs for another seed or start', async () => {
    const base = { logType, count: 400, seed: 0, scenarios: ['all'] };
    const a = await gen(base);
    const b = await gen(base);
    expect(a.sha).toBe(b.sha);
    expect(a.summary.sha256).toBe(a.sha);
    expect((await gen({ ...base, seed: 1 })).sha).not.toBe(a.sha);
    expect((await gen({ ...base, start: '2025-06-01T12:00:00Z' })).sha).not.toBe(a.sha);
  });

  it('labels every scenario with record ids inside the dataset', async () => {
    const { summary } = await gen({ logType, count: 400, seed: 9, scenarios: ['all'] });
    expect(summary.labels.map((l) => l.scenario).sort()).toEqual(info.scenarios.map((s) => s.name).sort());
    for (const l of summary.labels) {
      expect(l.technique).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(l.recordIds.length).toBeGreaterThan(0);
      expect(Math.max(...l.recordIds)).toBeLessThanOrEqual(summary.records);
    }
  });

  if (info.table) {
    it('csv and jsonl carry the same rows, time-ordered ISO-8601 UTC, RecordId = position', async () => {
      const req = { logType, count: 400, seed: 4, scenarios: ['all'] };
      const jsonl = (await gen({ ...req, format: 'jsonl' })).text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const csv = (await gen({ ...req, format: 'csv' })).text;
      const header = csv.slice(0, csv.indexOf('\r\n')).split(',');
      expect(header).toEqual(info.columns!.map((c) => c.name));
      const times = jsonl.map((r) => r.TimeGenerated as string);
      for (const t of times) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect([...times].sort()).toEqual(times);
      expect(jsonl.map((r) => r.RecordId)).toEqual(jsonl.map((_, i) => i + 1));
      // Every CSV data record starts with the same TimeGenerated,RecordId as its JSON row.
      const starts = csv.split('\r\n').slice(1, 6).map((l) => l.split(',').slice(0, 2).join(','));
      expect(starts).toEqual(jsonl.slice(0, 5).map((r) => `${r.TimeGenerated},${r.RecordId}`));
    });
  }
});

describe('scenario ground truth matches the content', () => {
  it('syslog brute-force lines are one sshd conversation with one address; other lines are not labelled', async () => {
    const { text, summary } = await gen({ logType: 'syslog', count: 500, seed: 2, scenarios: ['ssh-brute-force'], syslog: { protocol: 'rfc3164', pri: false } });
    const lines = text.trimEnd().split('\n');
    const label = summary.labels[0]!;
    const ids = new Set(label.recordIds);
    const ips = new Set<string>();
    const hosts = new Set<string>();
    const attack = label.recordIds.map((id) => lines[id - 1]!);
    for (const line of attack) {
      const m = /^\w{3} [ \d]\d \d\d:\d\d:\d\d (\S+) sshd\[\d+\]: (.*)$/.exec(line);
      expect(m, line).not.toBeNull();
      hosts.add(m![1]!);
      for (const ip of m![2]!.matchAll(/(?:from |rhost=|user \S+ )(\d+\.\d+\.\d+\.\d+)/g)) ips.add(ip[1]!);
    }
    expect(hosts.size).toBe(1);
    expect(ips.size).toBe(1);
    // Guesses first (invalid users, then root with folded repeats), the login last.
    expect(attack.filter((l) => /: Invalid user /.test(l)).length).toBeGreaterThanOrEqual(8);
    expect(attack.some((l) => /: message repeated \d+ times: \[ Failed password for root /.test(l))).toBe(true);
    expect(attack.slice(-2).map((l) => l.slice(l.indexOf(']: ') + 3).split(' ').slice(0, 2).join(' '))).toEqual(['Accepted password', 'pam_unix(sshd:session): session']);
    expect(attack.findIndex((l) => l.includes('Accepted password'))).toBe(attack.length - 2);
    // Benign sshd lines may fail (a typo, the internet's one-off guesses), but none comes from
    // the attacker's address, and only the guessing repeats itself.
    const [attacker] = ips;
    lines.forEach((l, i) => {
      if (!ids.has(i + 1) && / sshd\[/.test(l)) expect(l).not.toMatch(new RegExp(`${attacker!.replaceAll('.', '\\.')}\\b|message repeated|Accepted password`));
    });
    expect(lines[0]).toMatch(/^[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d /); // RFC 3164 without PRI
  });

  it('auditd events share audit(ts:serial) across their records and hex-encode argv with spaces', async () => {
    const { text } = await gen({ logType: 'auditd', count: 200, seed: 5, scenarios: ['reverse-shell'] });
    const lines = text.trimEnd().split('\n');
    const syscall = lines.findIndex((l) => l.includes('type=SYSCALL') && l.includes('syscall=59'));
    const stamp = /msg=(audit\([\d.]+:\d+\))/.exec(lines[syscall]!)![1];
    expect(lines.slice(syscall, syscall + 6).map((l) => /type=(\w+)/.exec(l)![1])).toEqual(['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PATH', 'PROCTITLE']);
    for (const l of lines.slice(syscall, syscall + 6)) expect(l).toContain(`msg=${stamp}:`);
    const rs = lines.find((l) => l.includes('type=EXECVE') && l.includes('a1="-c"') && l.includes('argc=3 a0="bash"'))!;
    const a2 = /a2=([0-9A-F]+)$/.exec(rs)![1]!;
    expect(Buffer.from(a2, 'hex').toString()).toMatch(/^bash -i >& \/dev\/tcp\//);
  });
});

describe('labels are exact ground truth', () => {
  const DOC_IP = /\b(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}\b/g;
  /** Documentation-range (internet) addresses of labelled and of unlabelled records. */
  async function internetAddresses(input: DatasetRequestInput): Promise<{ attack: Set<string>; benign: Set<string> }> {
    const { text, summary } = await gen(input);
    const ids = new Set(summary.labels.flatMap((l) => l.recordIds));
    const out = { attack: new Set<string>(), benign: new Set<string>() };
    const records = input.format === 'eventhub' ? text.trimEnd().split('\n').flatMap((b) => (JSON.parse(b) as { records: unknown[] }).records.map((r) => JSON.stringify(r))) : text.trimEnd().split('\n');
    records.forEach((r, i) => {
      for (const [ip] of r.matchAll(DOC_IP)) out[ids.has(i + 1) ? 'attack' : 'benign'].add(ip);
    });
    return out;
  }

  it.each<[DatasetRequestInput['logType'], DatasetRequestInput['format'], boolean]>([
    ['cef', 'raw', true],
    ['syslog', 'raw', true],
    ['auditd', 'raw', false],
    ['windows', 'raw', false],
    ['aks-diagnostics', 'eventhub', false],
  ])('%s: an attacker address never shows in a benign record, and which addresses attack depends on the seed', async (logType, format, benignInternet) => {
    const attackers: Set<string>[] = [];
    for (const seed of [7, 8, 9]) {
      const { attack, benign } = await internetAddresses({ logType, count: 20_000, seed, scenarios: ['all'], format });
      expect(attack.size, 'the scenarios name internet addresses').toBeGreaterThan(0);
      if (benignInternet) expect(benign.size, 'benign traffic talks to the internet too').toBeGreaterThan(100);
      expect([...attack].filter((ip) => benign.has(ip)), `seed ${seed}`).toEqual([]);
      attackers.push(attack);
    }
    // No fixed range gives the attack away: another seed's attackers are another seed's benign peers.
    expect(new Set(attackers.flatMap((a) => [...a])).size).toBeGreaterThan(attackers[0]!.size);
  });

  /** TimeGenerated (epoch ms, µs kept in the fraction) of csv rows by record id. */
  const csvTimes = (text: string): number[] => text.trimEnd().split('\r\n').slice(1).map((row) => isoMicros(row.slice(0, row.indexOf(','))));
  const isoMicros = (iso: string): number => Date.parse(iso) * 1000 + Number(((/\.(\d+)/.exec(iso)?.[1] ?? '') + '000000').slice(3, 6));

  it.each<[string, DatasetRequestInput]>([
    ['auditd', { logType: 'auditd' }],
    ['cef', { logType: 'cef' }],
    ['verifone', { logType: 'verifone' }],
    ['syslog rfc3164', { logType: 'syslog', syslog: { protocol: 'rfc3164' } }],
    ['syslog rfc5424', { logType: 'syslog' }],
    ['windows', { logType: 'windows' }],
  ])("%s: a label's first and last times are its rows' own, and no row falls before a sub-second start", async (_name, input) => {
    for (const seed of [1, 5]) {
      // A start between milliseconds: no row may show a time before it.
      const start = '2024-03-01T10:00:00.000700Z';
      const { text, summary } = await gen({ ...input, count: 3000, seed, scenarios: ['all'], format: 'csv', start });
      const times = csvTimes(text);
      expect(Math.min(...times), 'first row').toBeGreaterThanOrEqual(isoMicros(start));
      for (const l of summary.labels) {
        const own = l.recordIds.map((id) => times[id - 1]!);
        // KQL's between(firstTime .. lastTime) over TimeGenerated finds every labelled row.
        expect([isoMicros(l.firstTime), isoMicros(l.lastTime)], l.scenario).toEqual([Math.min(...own), Math.max(...own)]);
      }
    }
  });

  it('a window that holds no whole unit of the records\' time is a 400 on end, not rows outside it', () => {
    const req = { logType: 'syslog', count: 10, start: '2024-03-01T10:00:00.2Z', end: '2024-03-01T10:00:00.9Z' } as const;
    expect(() => resolveRequest(DatasetRequest.parse({ ...req, syslog: { protocol: 'rfc3164' } }))).toThrow(expect.objectContaining({ field: 'end', message: expect.stringMatching(/no whole second/) }));
    // RFC 5424 carries microseconds: the same window is fine.
    expect(resolveRequest(DatasetRequest.parse(req)).end).toBe('2024-03-01T10:00:00.900000Z');
  });

  it('syslog: sshd lines that name a peer carry it as SrcIp, and a session ends from the address that opened it', async () => {
    const { text } = await gen({ logType: 'syslog', count: 20_000, seed: 7, scenarios: ['all'], format: 'jsonl' });
    const rows = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { SyslogMessage: string; SrcIp: string; HostName: string; ProcessID: number });
    const peer = /(?:from|by (?:invalid |authenticating )?user \S+) (\d+\.\d+\.\d+\.\d+) port (\d+)/;
    const opened = new Map<string, string>();
    let checked = 0;
    for (const r of rows) {
      const m = peer.exec(r.SyslogMessage);
      if (m && /^(Accepted|Failed|Invalid|Received disconnect)/.test(r.SyslogMessage)) expect(r.SrcIp, r.SyslogMessage).toBe(m[1]);
      const key = `${r.HostName} ${r.ProcessID}`;
      if (r.SyslogMessage.startsWith('Accepted publickey')) opened.set(key, `${m![1]}:${m![2]}`);
      else if (r.SyslogMessage.startsWith('Received disconnect') && r.SyslogMessage.endsWith('disconnected by user') && opened.has(key)) {
        expect(`${m![1]}:${m![2]}`, key).toBe(opened.get(key));
        checked++;
      }
    }
    expect(checked, 'sessions that opened and closed in the dataset').toBeGreaterThan(100);
    // A benign failed login is a whole connection from one sshd process, as sshd and PAM write it.
    const byPid = new Map<string, string[]>();
    for (const r of rows) if (r.SrcIp && r.ProcessID) byPid.set(`${r.HostName} ${r.ProcessID}`, [...(byPid.get(`${r.HostName} ${r.ProcessID}`) ?? []), r.SyslogMessage]);
    const typos = [...byPid.values()].filter((m) => m.some((x) => /^Failed password for (?!invalid|root)/.test(x)));
    const scans = [...byPid.values()].filter((m) => m.length === 2 && m[0]!.startsWith('Invalid user '));
    expect(typos.length).toBeGreaterThan(5);
    expect(scans.length).toBeGreaterThan(5);
    for (const m of typos) expect(m.map((x) => x.split(' ').slice(0, 2).join(' '))).toEqual(['pam_unix(sshd:auth): authentication', 'Failed password', 'Connection closed']);
    for (const m of scans) expect(m[1]).toMatch(/^Connection closed by invalid user \S+ [\d.]+ port \d+ \[preauth\]$/);
  });

  it('syslog: an admin\'s SSH session writes Accepted, session opened, disconnect, session closed once each, in order, from one sshd', async () => {
    const STEPS = [/^Accepted publickey for /, /^pam_unix\(sshd:session\): session opened for user /, /^Received disconnect from .*disconnected by user$/, /^pam_unix\(sshd:session\): session closed for user /];
    for (const seed of [3, 7]) {
      const { text } = await gen({ logType: 'syslog', count: 20_000, seed, scenarios: [], format: 'jsonl' });
      const rows = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { SyslogMessage: string; HostName: string; ProcessID: number; ProcessName: string });
      const byPid = new Map<string, number[]>();
      for (const r of rows) {
        if (r.ProcessName !== 'sshd') continue;
        const step = STEPS.findIndex((re) => re.test(r.SyslogMessage));
        if (step >= 0) byPid.set(`${r.HostName} ${r.ProcessID}`, [...(byPid.get(`${r.HostName} ${r.ProcessID}`) ?? []), step]);
      }
      let whole = 0;
      for (const [pid, steps] of byPid) {
        // Consecutive steps: from Accepted on, or (a session open when the log starts) from later.
        expect(steps.every((x, i) => i === 0 || x === steps[i - 1]! + 1), `${pid}: ${steps.join()}`).toBe(true);
        if (steps[0] !== 0) expect(steps[0], pid).toBeGreaterThan(1);
        if (steps.length === 4) whole++;
      }
      // Sessions open before the log are few: all but a handful start with their Accepted line.
      expect([...byPid.values()].filter((x) => x[0] !== 0).length).toBeLessThanOrEqual(5);
      expect(whole).toBeGreaterThan(100);
    }
  });

  it('syslog sudo-abuse: an account whose one sudo rule allows find is refused other commands as "command not allowed", never "NOT in sudoers"', async () => {
    const { text, summary } = await gen({ logType: 'syslog', count: 2000, seed: 4, scenarios: ['sudo-abuse'] });
    const lines = text.split('\n');
    const attack = summary.labels[0]!.recordIds.map((id) => lines[id - 1]!);
    expect(attack.filter((l) => / sudo \d+ - - www-data : command not allowed ; /.test(l))).toHaveLength(2);
    expect(attack.some((l) => l.includes('COMMAND=/usr/bin/find /etc -name shadow'))).toBe(true);
    expect(text).not.toContain('NOT in sudoers');
  });

  it('syslog: a host\'s UFW lines carry its own address and NIC, and its uptime grows with the time', async () => {
    const { text } = await gen({ logType: 'syslog', count: 20_000, seed: 3, scenarios: ['all'], format: 'jsonl' });
    const rows = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { TimeGenerated: string; HostName: string; SyslogMessage: string });
    const byHost = new Map<string, { t: number; up: number; dst: string; mac: string }[]>();
    for (const r of rows) {
      const m = /^\[ *(\d+\.\d{6})\] \[UFW BLOCK\] .* MAC=(\S{17}):\S+ SRC=\S+ DST=(\S+) /.exec(r.SyslogMessage);
      if (m) byHost.set(r.HostName, [...(byHost.get(r.HostName) ?? []), { t: Date.parse(r.TimeGenerated) / 1000, up: Number(m[1]), dst: m[3]!, mac: m[2]! }]);
    }
    expect(byHost.size).toBeGreaterThan(3);
    for (const [host, lines] of byHost) {
      expect(new Set(lines.map((l) => l.dst)).size, host).toBe(1);
      expect(new Set(lines.map((l) => l.mac)).size, host).toBe(1);
      // Boot time = time − uptime: one instant per host (to the µs the lines carry).
      const boots = lines.map((l) => l.t - l.up);
      expect(Math.max(...boots) - Math.min(...boots), host).toBeLessThan(0.002);
    }
  });

  it('syslog: timesyncd synchronizes once per host; afterwards it logs only a server that stops answering', async () => {
    const { text } = await gen({ logType: 'syslog', count: 20_000, seed: 3, format: 'jsonl' });
    const rows = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { HostName: string; ProcessName: string; SyslogMessage: string });
    const byHost = new Map<string, string[]>();
    for (const r of rows) if (r.ProcessName === 'systemd-timesyncd') byHost.set(r.HostName, [...(byHost.get(r.HostName) ?? []), r.SyslogMessage]);
    expect(byHost.size).toBeGreaterThan(3);
    for (const [host, msgs] of byHost) {
      expect(msgs[0], host).toMatch(/^Initial synchronization to time server /);
      expect(msgs.slice(1).every((m) => m.startsWith('Timed out waiting for reply from ')), host).toBe(true);
    }
  });

  it('syslog: rsyslog writes a single repeat as the line itself, never "message repeated 1 times"', async () => {
    let repeatedTwice = 0;
    for (let seed = 0; seed < 12; seed++) {
      const { text } = await gen({ logType: 'syslog', count: 400, seed, scenarios: ['ssh-brute-force'] });
      expect(text).not.toContain('message repeated 1 times');
      const failed = text.split('\n').map((l) => l.split(' - - ')[1]).filter((m) => m?.startsWith('Failed password for root'));
      repeatedTwice += failed.length - new Set(failed).size;
    }
    expect(repeatedTwice, 'two-try connections write the line twice').toBeGreaterThan(0);
  });

  it("auditd ssh-brute-force: every failed try is PAM's USER_AUTH and sshd's own USER_LOGIN res=failed, one pid; admins' typos write both too", async () => {
    // acct: quoted text, or upper-case hex for a value with a space ("(invalid user)").
    const loginFailed = /type=USER_LOGIN msg=audit\([\d.:]+\): pid=(\d+) uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=login acct=(?:"([^"]+)"|([0-9A-F]+)) exe="\/usr\/sbin\/sshd" hostname=\? addr=(\S+) terminal=sshd res=failed'/;
    const INVALID = Buffer.from('(invalid user)').toString('hex').toUpperCase();
    for (const seed of [1, 2]) {
      const { text, summary } = await gen({ logType: 'auditd', count: 20_000, seed, scenarios: ['ssh-brute-force'] });
      const lines = text.split('\n');
      const attack = summary.labels[0]!.recordIds.map((id) => lines[id - 1]!);
      const isAuth = (l: string) => l.includes('type=USER_AUTH') && l.includes('res=failed');
      const auths = attack.filter(isAuth);
      expect(auths.length).toBeGreaterThanOrEqual(16);
      expect(attack.filter((l) => loginFailed.test(l)).length).toBeGreaterThan(auths.length);
      // Per connection (one pid): an invalid user's is [invalid user ×2, USER_AUTH, USER_LOGIN];
      // root's is (USER_AUTH, USER_LOGIN) × 2-6 tries, its own name in sshd's record.
      const connections = new Map<string, string[]>();
      for (const l of attack.filter((x) => isAuth(x) || loginFailed.test(x))) {
        const pid = / pid=(\d+) /.exec(l)![1]!;
        connections.set(pid, [...(connections.get(pid) ?? []), l]);
      }
      const seen = { valid: 0, invalid: 0 };
      for (const records of connections.values()) {
        const typed = new Set(records.filter(isAuth).map((l) => / acct="([^"]+)" /.exec(l)![1]!));
        expect(typed.size).toBe(1);
        const [acct] = typed;
        const valid = acct === 'root';
        seen[valid ? 'valid' : 'invalid']++;
        const kinds = records.map((l) => (isAuth(l) ? 'auth' : 'login'));
        if (valid) {
          expect(kinds.length).toBeGreaterThanOrEqual(4);
          expect(kinds.length).toBeLessThanOrEqual(12);
          expect(kinds.join()).toBe(Array.from({ length: kinds.length / 2 }, () => 'auth,login').join());
        } else expect(kinds).toEqual(['login', 'login', 'auth', 'login']);
        for (const login of records.filter((l) => !isAuth(l))) {
          const [, , quoted, hex, addr] = loginFailed.exec(login)!;
          expect(valid ? quoted : hex).toBe(valid ? 'root' : INVALID);
          expect(records.find(isAuth)).toContain(` addr=${addr} `);
        }
      }
      expect(seen.valid).toBeGreaterThanOrEqual(2);
      expect(seen.invalid).toBeGreaterThanOrEqual(8);
      // Benign: each failed sshd USER_AUTH is followed by its USER_LOGIN res=failed (same pid).
      const attackIds = new Set(summary.labels[0]!.recordIds);
      const benign = lines.filter((l, i) => l !== '' && !attackIds.has(i + 1));
      const typos = benign.map((l, i) => [l, i] as const).filter(([l]) => l.includes('type=USER_AUTH') && l.includes('exe="/usr/sbin/sshd"') && l.includes('res=failed'));
      expect(typos.length).toBeGreaterThan(0);
      for (const [l, i] of typos) {
        const next = benign[i + 1];
        if (next === undefined) continue; // the dataset ended between the two
        expect(next).toMatch(loginFailed);
        expect(next).toContain(` pid=${/ pid=(\d+)/.exec(l)![1]} `);
      }
      // The other benign failed USER_LOGINs are scanners': "(invalid user)" twice from one pid, no password tried.
      const scans = benign.filter((l) => loginFailed.exec(l)?.[3] === INVALID);
      expect(scans.length).toBeGreaterThan(0);
      const pidOf = (l: string) => / pid=(\d+)/.exec(l)![1]!;
      const scanPids = new Map<string, number>();
      for (const l of scans) scanPids.set(pidOf(l), (scanPids.get(pidOf(l)) ?? 0) + 1);
      expect([...scanPids.values()].filter((n) => n !== 2).length).toBeLessThanOrEqual(1); // the dataset may end between the two
      for (const pid of scanPids.keys()) expect(benign.some((l) => l.includes(` pid=${pid} `) && l.includes('type=USER_AUTH'))).toBe(false);
      expect(benign.filter((l) => loginFailed.test(l)).length - scans.length).toBe(typos.filter(([, i]) => i + 1 < benign.length).length);
    }
  });

  it('auditd: no single field marks an attack record — parent pids, sessions, login uids and inodes are drawn as benign ones are', async () => {
    const field = (l: string, k: string): string | undefined => new RegExp(` ${k}=(\\S+)`).exec(l)?.[1];
    for (const seed of [3, 7, 11]) {
      const { text, summary } = await gen({ logType: 'auditd', count: 20_000, seed, scenarios: ['all'] });
      const lines = text.split('\n');
      const attack = new Set(summary.labels.flatMap((l) => l.recordIds));
      const benign = lines.filter((l, i) => l !== '' && !attack.has(i + 1));
      const attackLines = [...attack].map((id) => lines[id - 1]!);
      // A scenario's first process forks from an older pid, as close below it as benign parents are.
      const gaps = (ls: string[]) => ls.filter((l) => l.includes('type=SYSCALL') && l.includes('syscall=59')).map((l) => Number(field(l, 'pid')) - Number(field(l, 'ppid')));
      const benignMax = Math.max(...gaps(benign));
      expect(benignMax).toBeLessThanOrEqual(400);
      for (const label of summary.labels) {
        const first = label.recordIds.map((id) => lines[id - 1]!).find((l) => l.includes('type=SYSCALL') && l.includes('syscall=59'));
        if (first) expect(gaps([first])[0], `${label.scenario} seed ${seed}`).toBeLessThanOrEqual(benignMax);
      }
      // Every session number and login uid an attack record carries is one benign records carry too.
      for (const k of ['ses', 'auid']) {
        const seen = new Set(benign.map((l) => field(l, k)));
        for (const l of attackLines) if (field(l, k) !== undefined) expect(seen.has(field(l, k)), `${k}=${field(l, k)} seed ${seed}`).toBe(true);
      }
      // One inode per file on a host (it was new on every exec).
      const inodes = new Map<string, Set<string>>();
      for (const l of lines.filter((x) => x.includes('type=PATH'))) {
        const key = `${/^node=(\S+)/.exec(l)![1]} ${field(l, 'name')}`;
        inodes.set(key, (inodes.get(key) ?? new Set()).add(field(l, 'inode')!));
      }
      expect([...inodes.values()].filter((v) => v.size > 1)).toEqual([]);
    }
  });

  it('verifone: a keyed sale is never declined for its PIN (nobody enters one)', async () => {
    const { text } = await gen({ logType: 'verifone', count: 20_000, seed: 2, scenarios: ['all'] });
    const keyed = text.split('\n').filter((l) => l.includes(' ENTRY=MANUAL '));
    expect(keyed.filter((l) => l.includes(' RESULT=DECLINED ')).length).toBeGreaterThan(10);
    expect(keyed.filter((l) => l.includes(' RC=55 '))).toEqual([]);
    expect(text.split('\n').filter((l) => l.includes(' RC=55 ')).length).toBeGreaterThan(0);
  });

  it('windows: benign traffic locks accounts out too, each after 5 bad passwords for it from one domain workstation (a mapped drive holding an old password)', async () => {
    const { text } = await gen({ logType: 'windows', count: 100_000, seed: 6, scenarios: [] });
    const lines = text.split('\n').filter((l) => l !== '');
    const tag = (l: string, k: string) => new RegExp(`<${k}>([^<]*)</${k}>`).exec(l)?.[1];
    const data = (l: string, k: string) => new RegExp(`<Data Name="${k}">([^<]*)</Data>`).exec(l)?.[1];
    const lockouts = lines.map((l, i) => [l, i] as const).filter(([l]) => tag(l, 'EventID') === '4740');
    expect(lockouts.length).toBeGreaterThan(1);
    let from = 0;
    let lockedTries = 0;
    for (const [l, i] of lockouts) {
      const user = data(l, 'TargetUserName');
      const caller = data(l, 'TargetDomainName')!;
      expect(caller).toMatch(/^WS-\d+$/);
      expect(tag(l, 'Computer')).toMatch(/^DC01\./);
      // Since the last lockout: this account's bad passwords from that workstation, logged by
      // the file server the drive maps; the DC locks the account as it refuses the 5th.
      const mine = (x: string) => tag(x, 'EventID') === '4625' && data(x, 'TargetUserName') === user && data(x, 'WorkstationName') === caller;
      const tries = lines.slice(from, i).filter((x) => mine(x) && data(x, 'SubStatus') === '0xc000006a');
      expect(tries.length, `lockout at line ${i + 1}`).toBe(5);
      expect(new Set(tries.map((x) => data(x, 'IpAddress'))).size).toBe(1);
      expect(new Set(tries.map((x) => tag(x, 'Computer'))).size).toBe(1);
      expect(tag(tries[0]!, 'Computer')).not.toMatch(/^DC01\./);
      expect(lines[i - 1]).toBe(tries[4]);
      // Then the drive tries the locked account a few more times.
      lockedTries += lines.slice(i + 1).filter((x) => mine(x) && data(x, 'Status') === '0xc0000234' && data(x, 'SubStatus') === '0x0' && data(x, 'FailureReason') === '%%2307').length > 0 ? 1 : 0;
      from = i + 1;
    }
    expect(lockedTries).toBeGreaterThan(lockouts.length / 2);
  });

  it('windows: each computer numbers its own records; 4688 comes from System; the spray is one machine; the backdoor account is never on the DC', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { text, summary } = await gen({ logType: 'windows', count: 3000, seed, scenarios: ['all'] });
      const lines = text.split('\n').filter((l) => l !== '');
      const tag = (l: string, k: string) => new RegExp(`<${k}>([^<]*)</${k}>`).exec(l)?.[1];
      const data = (l: string, k: string) => new RegExp(`<Data Name="${k}">([^<]*)</Data>`).exec(l)?.[1];
      const last = new Map<string, number>();
      for (const l of lines) {
        const computer = tag(l, 'Computer')!, id = Number(tag(l, 'EventRecordID'));
        if (last.has(computer)) expect(id, computer).toBe(last.get(computer)! + 1);
        last.set(computer, id);
        if (tag(l, 'EventID') === '4688') expect(l).toContain('<Execution ProcessID="4" ');
      }
      const records = (name: string) => summary.labels.find((x) => x.scenario === name)!.recordIds.map((id) => lines[id - 1]!);
      const spray = records('password-spray');
      const names = new Set(spray.filter((l) => ['4625', '4624'].includes(tag(l, 'EventID')!)).map((l) => data(l, 'WorkstationName')));
      expect(names.size, `seed ${seed}`).toBe(1);
      const lockout = spray.find((l) => tag(l, 'EventID') === '4740')!;
      expect(data(lockout, 'TargetDomainName')).toBe([...names][0]);
      // A lockout follows the threshold's bad passwords for that account (it followed one).
      const before = spray.slice(0, spray.indexOf(lockout)).filter((l) => tag(l, 'EventID') === '4625' && data(l, 'TargetUserName') === data(lockout, 'TargetUserName'));
      expect(before.length, `seed ${seed}`).toBe(5);
      for (const l of records('privilege-escalation')) expect(tag(l, 'Computer')).not.toMatch(/^DC01\./);
    }
  });

  it('auditd sudo-abuse: sudo is exec\'d (setuid: euid 0) before its pid asks for a password; USER_LOGIN has no grantors', async () => {
    for (const seed of [1, 2, 3]) {
      const { text, summary } = await gen({ logType: 'auditd', count: 400, seed, scenarios: ['all'] });
      const lines = text.split('\n');
      const sudo = summary.labels.find((l) => l.scenario === 'sudo-abuse')!.recordIds.map((id) => lines[id - 1]!);
      const exec = sudo.findIndex((l) => l.includes('type=SYSCALL') && l.includes('comm="sudo"'));
      const pid = / pid=(\d+)/.exec(sudo[exec]!)![1];
      expect(sudo[exec]).toMatch(/ uid=1004 gid=1004 euid=0 suid=0 fsuid=0 egid=1004 /);
      const auths = sudo.map((l, i) => [l, i] as const).filter(([l]) => l.includes('type=USER_AUTH'));
      expect(auths.map(([l]) => /res=(\w+)/.exec(l)![1])).toEqual(['failed', 'failed', 'success']);
      for (const [l, i] of auths) {
        expect(l).toContain(`pid=${pid} `);
        expect(i).toBeGreaterThan(exec);
      }
      for (const l of lines.filter((x) => x.includes('type=USER_LOGIN'))) expect(l).not.toContain('grantors=');
      // setuid: the binary's mode has the bit.
      const execAt = lines.indexOf(sudo[exec]!);
      expect(lines.slice(execAt, execAt + 4).find((l) => l.includes('type=PATH') && l.includes('item=0'))).toContain(' mode=0104755 ');
    }
    // Admins' sudo runs exec sudo too: euid 0 alone does not mark the attack.
    const { text, summary } = await gen({ logType: 'auditd', count: 20_000, seed: 4, scenarios: ['sudo-abuse'] });
    const attack = new Set(summary.labels.flatMap((l) => l.recordIds));
    const setuid = text.split('\n').map((l, i) => [l, i + 1] as const).filter(([l]) => / euid=0 /.test(l) && / uid=(?!0 )\d+ /.test(l));
    expect(setuid.filter(([, id]) => !attack.has(id)).length).toBeGreaterThan(10 * setuid.filter(([, id]) => attack.has(id)).length);
  });

  it('windows privilege-escalation: the local account keeps its computer\'s domain; a console logon names its own computer', async () => {
    const { text, summary } = await gen({ logType: 'windows', count: 2000, seed: 7, scenarios: ['privilege-escalation'], format: 'jsonl' });
    const rows = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, string | number>);
    const domains = new Set<string>();
    for (const id of summary.labels[0]!.recordIds) {
      const r = rows[id - 1]!;
      if (r.TargetUserName === 'svc_update') domains.add(String(r.TargetDomainName));
      if (r.SubjectUserName === 'svc_update') domains.add(String(r.SubjectDomainName));
    }
    expect(domains.size).toBe(1);
    expect(domains).not.toContain('CONTOSO');
    const console2 = rows.filter((r) => r.EventID === 4624 && r.LogonType === 2);
    expect(console2.length).toBeGreaterThan(10);
    for (const r of console2) expect([r.WorkstationName, r.IpPort]).toEqual([String(r.Computer).split('.')[0]!.toUpperCase(), '0']);
  });
});

describe('docs/datasets.md samples', () => {
  it('every sample line is real output of seed 1 (a shortened line: its text before the …)', async () => {
    const doc = readFileSync(fileURLToPath(new URL('../docs/datasets.md', import.meta.url)), 'utf8');
    const section = doc.slice(doc.indexOf('### Samples (seed 1)'));
    const samples: { types: string[]; line: string }[] = [];
    let types: string[] = [];
    let fenced = false;
    for (const line of section.slice(0, section.indexOf('\n## ')).split('\n')) {
      const heading = /^\*\*([^*]+)\*\*/.exec(line);
      if (heading && !fenced) types = heading[1]!.split('/').map((t) => t.trim());
      else if (line.startsWith('```')) fenced = !fenced;
      else if (fenced && line) samples.push({ types, line });
    }
    expect(new Set(samples.flatMap((s) => s.types))).toEqual(new Set(TYPES));
    const output = new Map<string, string>();
    for (const logType of TYPES) {
      const info = LOG_TYPES.find((t) => t.name === logType)!;
      let all = '';
      for (const format of info.formats)
        for (const syslog of logType === 'syslog' ? [{ protocol: 'rfc5424' }, { protocol: 'rfc3164' }, { protocol: 'rfc3164', pri: false }] : [undefined])
          for (const scenarios of [[], ['all']]) all += (await gen({ logType, count: 2000, seed: 1, format, scenarios, ...(syslog ? { syslog } : {}) } as DatasetRequestInput)).text;
      output.set(logType, all);
    }
    for (const { types: ts, line } of samples) {
      const text = line.includes('…') ? line.slice(0, line.indexOf('…')).trimEnd() : line;
      expect(ts.some((t) => output.get(t)?.includes(text)), `${ts.join('/')}: ${line.slice(0, 120)}`).toBe(true);
    }
  });
});

describe('formats in generated data', () => {
  it('RFC 3164 with PRI pads a one-digit day with a space; RFC 5424 writes NILVALUE and escaped SD', async () => {
    const bsd = (await gen({ logType: 'syslog', count: 50, seed: 1, syslog: { protocol: 'rfc3164' } })).text.trimEnd().split('\n');
    for (const l of bsd) expect(l).toMatch(/^<\d{1,3}>Jan  1 \d\d:\d\d:\d\d [\w-]+ [\w-]+(\[\d+\])?: /);
    const later = (await gen({ logType: 'syslog', count: 5, seed: 1, start: '2024-11-23T10:00:00Z', syslog: { protocol: 'rfc3164', pri: false } })).text;
    expect(later.split('\n')[0]).toMatch(/^Nov 23 10:00:00 /);
    const lines = (await gen({ logType: 'syslog', count: 400, seed: 1 })).text.trimEnd().split('\n');
    // <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]
    const re = /^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (\S+) (\S+) (\S+) (-|\S+) (-|(?:\[[^ \]]+(?: [^ =\]"]+="(?:[^"\\\]]|\\["\\\]])*")*\])+)(?: (.*))?$/;
    for (const l of lines) expect(l).toMatch(re);
    expect(lines.some((l) => / - - /.test(l))).toBe(true); // MSGID and SD absent → NILVALUE
    expect(lines.some((l) => l.includes('[timeQuality tzKnown="1" isSynced="1"]'))).toBe(true);
    // kernel lines have no PROCID: NILVALUE in the header, not 0
    expect(lines.filter((l) => / kernel /.test(l)).every((l) => / kernel - - - /.test(l))).toBe(true);
  });

  it("CEF: a logged URL matches its flow: http on 80, https on 443 with no port, https with :8443 on 8443; an address host is the flow's dst", async () => {
    const { text } = await gen({ logType: 'cef', count: 20_000, seed: 1, scenarios: ['all'] });
    const withUrl = text.split('\n').filter((l) => l.includes(' request='));
    expect(withUrl.length).toBeGreaterThan(1000);
    for (const l of withUrl) {
      const dpt = / dpt=(\d+) /.exec(l)![1];
      const dst = / dst=(\S+) /.exec(l)![1]!;
      const url = / request=(\S+)/.exec(l)![1]!;
      const [, scheme, host, port] = /^(https?):\/\/([^/:]+)(?::(\d+))?/.exec(url)!;
      expect([scheme, port ?? (scheme === 'http' ? '80' : '443')], l).toEqual([dpt === '80' ? 'http' : 'https', dpt]);
      if (/^\d+\.\d+\.\d+\.\d+$/.test(host!)) expect(host, l).toBe(dst);
    }
  });

  it('CEF: header pipes escaped, extension = escaped, the CSV Extension column holds the unescaped values', async () => {
    const req: DatasetRequestInput = { logType: 'cef', count: 400, seed: 3, scenarios: ['exfiltration'] };
    const { text, summary } = await gen(req);
    const raw = text.trimEnd().split('\n');
    expect(raw.some((l) => l.includes('|Traffic denied \\| policy|') || l.includes('|Traffic dropped|'))).toBe(true);
    const ids = summary.labels[0]!.recordIds;
    const exfil = ids.map((id) => raw[id - 1]!);
    expect(exfil.length).toBe(12);
    // Benign URL logging writes request= too; every value escapes its '='.
    const requests = raw.filter((l) => l.includes(' request='));
    expect(requests.length).toBeGreaterThan(exfil.length);
    for (const l of requests) expect(/ request=(.*)$/.exec(l)![1]).not.toMatch(/(?<!\\)=/);
    for (const l of exfil) {
      expect(l).toMatch(/^<\d+>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ CEF:0\|Contoso\|EdgeWall\|9\.1\.4\|100\|Traffic allowed\|3\|/);
      expect(l).toMatch(/ request=https:\/\/[\d.]+:8443\/upload\?session\\=[0-9a-f]{16}&part\\=\d+$/);
    }
    const rows = (await gen({ ...req, format: 'jsonl' })).text.trimEnd().split('\n').map((l) => JSON.parse(l) as { Extension: Record<string, unknown> });
    const urls = ids.map((id) => rows[id - 1]!.Extension.request) as string[];
    expect(urls.length).toBe(12);
    for (const u of urls) expect(u).toMatch(/\?session=[0-9a-f]{16}&part=\d+$/);
  });

  it('auditd: every record of an event shares audit(ts:serial); hex values decode to what the CSV holds', async () => {
    const req: DatasetRequestInput = { logType: 'auditd', count: 300, seed: 8, scenarios: ['all'] };
    const lines = (await gen(req)).text.trimEnd().split('\n');
    const rows = (await gen({ ...req, format: 'jsonl' })).text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.length).toBe(lines.length);
    const stampOf = (l: string): string => /msg=audit\((\d+\.\d{3}:\d+)\): /.exec(l)![1]!;
    lines.forEach((l, i) => {
      const row = rows[i]!;
      expect(stampOf(l).split(':')[1]).toBe(String(row.EventSerial));
      if (row.RecordType === 'PROCTITLE') expect(auditDecode(/proctitle=(\S+)$/.exec(l)![1]!)).toBe(row.CommandLine);
      if (row.RecordType === 'EXECVE') {
        const args = [...l.matchAll(/ a\d+=(\S+)/g)].map((m) => auditDecode(m[1]!));
        expect(args.join(' ')).toBe(row.CommandLine);
        for (const m of l.matchAll(/ a\d+=(\S+)/g)) expect(m[1]).toMatch(/^("[!#-~]*"|[0-9A-F]+)$/); // quoted printable or upper hex
      }
    });
    // Non-ASCII argv (a Cyrillic folder name) and argv with spaces are hex.
    expect(lines.some((l) => l.includes('type=EXECVE') && /a1=D0/.test(l))).toBe(true);
  });

  // Syslog's daemons (systemd, rsyslogd, ...) keep fixed pids; the processes the counter gives
  // pids to are these.
  const FORKED = new Set(['sshd', 'sudo', 'CRON']);
  it.each<[DatasetRequestInput['logType'], string, string]>([
    ['auditd', 'Pid', 'Ppid'],
    ['syslog', 'ProcessID', ''],
  ])('%s: a process gets its pid when it starts, above every pid written before it, its parent a lower one (no label leak)', async (logType, pidCol, ppidCol) => {
    const req: DatasetRequestInput = { logType, count: 2000, seed: 4, scenarios: ['all'] };
    const rows = (await gen({ ...req, format: 'jsonl' })).text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, number | null>);
    const counted = (r: Record<string, unknown>): boolean => logType !== 'syslog' || FORKED.has(r.ProcessName as string);
    const { summary } = await gen(req);
    const attack = new Set(summary.labels.flatMap((l) => l.recordIds));
    // The pid counter only grows here (it starts far below its wrap): a pid seen for the first
    // time is a process that starts now, so it is above every pid and ppid written before it.
    let max = 0;
    const seen = new Set<number>();
    let checked = 0;
    rows.forEach((r, i) => {
      if (!counted(r)) return;
      const pid = r[pidCol] ?? null;
      const ppid = ppidCol ? (r[ppidCol] ?? null) : null;
      if (pid !== null && !seen.has(pid)) {
        if (attack.has(i + 1)) checked++;
        expect(pid, `record ${i + 1}${attack.has(i + 1) ? ' (attack)' : ''}`).toBeGreaterThan(max);
        seen.add(pid);
      }
      // A parent was running before its child: a lower pid.
      if (pid !== null && ppid !== null) expect(ppid, `record ${i + 1}`).toBeLessThan(pid);
      max = Math.max(max, pid ?? 0, ppid ?? 0);
    });
    expect(checked).toBeGreaterThan(10); // the scenarios' processes were among them
  });

  it('windows: every event carries exactly its documented EventData names, LogonType values are documented ones', async () => {
    const lines = (await gen({ logType: 'windows', count: 600, seed: 2, scenarios: ['all'] })).text.trimEnd().split('\n');
    const seen = new Set<number>();
    const logonTypes = new Set<number>(Object.values(LOGON_TYPES));
    for (const l of lines) {
      const id = Number(/<EventID>(\d+)<\/EventID>/.exec(l)![1]);
      seen.add(id);
      expect([...l.matchAll(/<Data Name="([^"]+)">/g)].map((m) => m[1])).toEqual(EVENT_SCHEMAS[id]!.fields);
      const lt = /<Data Name="LogonType">(\d+)<\/Data>/.exec(l);
      if (lt) expect(logonTypes.has(Number(lt[1]))).toBe(true);
      expect(l).toMatch(/<TimeCreated SystemTime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z"\/>/);
    }
    expect([...seen].sort()).toEqual([4624, 4625, 4634, 4672, 4688, 4720, 4732, 4740]);
  });
});

describe('metadata says what the generators do', () => {
  it('the verifone description names only event kinds a dataset contains', async () => {
    const info = LOG_TYPES.find((t) => t.name === 'verifone')!;
    // Each kind a description may name, as the EVT values that carry it.
    const KINDS: Record<string, string[]> = { sales: ['SALE'], refunds: ['REFUND'], voids: ['VOID'], 'operator sign-on': ['LOGIN'], heartbeats: ['HEARTBEAT'], settlement: ['SETTLEMENT', 'SETTLE', 'BATCH_CLOSE'] };
    const named = /\(([^)]*)\)/.exec(info.description)![1]!.split(',').map((k) => k.trim());
    const { text } = await gen({ logType: 'verifone', count: 3000, seed: 2, scenarios: ['all'] });
    const seen = new Set([...text.matchAll(/ EVT=(\w+)/g)].map((m) => m[1]));
    for (const kind of named) expect(KINDS[kind]?.some((evt) => seen.has(evt)), kind).toBe(true);
  });

  it('the count description and the docs give the records per auditd event that datasets have', async () => {
    const def = GENERATORS.auditd!;
    const req = resolveRequest(DatasetRequest.parse({ logType: 'auditd', count: 3000, seed: 3, scenarios: ['all'] }));
    const sizes = new Set<number>();
    for (const { event } of events(def, req)) sizes.add(def.records(event));
    const [lo, hi] = [Math.min(...sizes), Math.max(...sizes)];
    expect(DatasetRequest.shape.count.description).toContain(`auditd: events, each ${lo}-${hi} records`);
    const docs = readFileSync(fileURLToPath(new URL('../docs/datasets.md', import.meta.url)), 'utf8');
    expect(docs).toContain(`an auditd event has ${lo}–${hi} records`);
  });

  it('the docs give the rate limit the schema enforces', () => {
    expect(DatasetRequest.safeParse({ logType: 'syslog', rate: 1_000_000 }).success).toBe(true);
    expect(DatasetRequest.safeParse({ logType: 'syslog', rate: 1_000_001 }).error!.issues[0]!.path).toEqual(['rate']);
    const docs = readFileSync(fileURLToPath(new URL('../docs/datasets.md', import.meta.url)), 'utf8');
    expect(docs.split('\n').find((l) => l.startsWith('| `rate` |'))).toContain('≤ 1,000,000');
  });
});

describe('benign traffic is not trivially separable from attacks', () => {
  /** Counts of lines matching `re`, attack vs benign, over a labelled raw dataset. */
  async function split(logType: string, re: RegExp, extra: Partial<DatasetRequestInput> = {}): Promise<{ attack: number; benign: number }> {
    const { text, summary } = await gen({ logType, count: 20_000, seed: 5, scenarios: ['all'], format: 'raw', ...extra } as DatasetRequestInput);
    const attack = new Set(summary.labels.flatMap((l) => l.recordIds));
    const c = { attack: 0, benign: 0 };
    text.split('\n').forEach((l, i) => {
      if (re.test(l)) c[attack.has(i + 1) ? 'attack' : 'benign']++;
    });
    return c;
  }

  it.each([
    // Ordinary firewall refusals and flagged flows, as any perimeter logs them.
    ['cef', / act=deny /],
    ['cef', / msg=/],
    // URL logging of web traffic, and 8443 (sync services, VPNs): the exfiltration's request= and port.
    ['cef', / request=/],
    ['cef', / dpt=8443 /],
    // A URL logged by the flow's address, not a name (no SNI): the exfiltration's are.
    ['cef', / request=https:\/\/\d+\.\d+\.\d+\.\d+[:/]/],
    // An inbound deny to a port outside the usual noise: mass scanners try any port.
    ['cef', / act=deny .*dpt=(?!(?:22|23|445|1433|1900|3306|3389|5060|5900|8080) )\d+ .*cs1=deny-inbound-default/],
    // Managers sign on to approve refunds, some keyed from a receipt; cashiers key phone orders.
    ['verifone', / EVT=LOGIN OPER=M\d+ .*MSG="Manager override accepted"/],
    ['verifone', / EVT=REFUND .*ENTRY=MANUAL /],
    ['verifone', / EVT=SALE .*ENTRY=MANUAL /],
    // A few cents (gum, parking) and big-ticket baskets, as card testing and refund fraud write.
    ['verifone', / AMT=0\.\d\d /],
    ['verifone', / AMT=(?:[3-9]\d\d|1\d{3})\.\d\d /],
    // The web application's own children run as www-data; admins deploy from the web root and hit their sudo rule's limits.
    ['auditd', / uid=33 /],
    ['syslog', /PWD=\/var\/www /],
    ['syslog', / : command not allowed ; /],
    // Admins log in over SSH and run sudo: the PAM user records are everyday records.
    ['auditd', /type=USER_AUTH .*res=failed/],
    ['auditd', /type=USER_LOGIN /],
    ['auditd', /type=USER_LOGIN .*res=failed/],
    // The internet's scanners guess names the host lacks: sshd's "(invalid user)" records.
    ['auditd', /type=USER_LOGIN .* acct=28696E76616C6964207573657229 /],
    ['auditd', /type=USER_CMD /],
    // sudo's bad priority (authpriv.alert = <81>) also marks an admin's mistyped password.
    ['syslog', /^<81>1 \S+ \S+ sudo /],
  ] as const)('%s: %s occurs in benign traffic too', async (logType, re) => {
    const c = await split(logType, re);
    expect(c.attack, 'the attack still writes it').toBeGreaterThan(0);
    // Not a perfect feature: a good share of the lines carrying it are benign (a brute force's
    // burst of failures still outnumbers the admins' occasional typo in 20,000 events).
    expect(c.benign / (c.attack + c.benign), 'benign share').toBeGreaterThan(0.2);
  });

  it('sudo logs at the priorities sudo and PAM use: no sudo line at err', async () => {
    // sudo: commands at authpriv.notice (<85>), refusals at authpriv.alert (<81>); pam_unix
    // failures at notice, sessions at info (<86>). err (<83>) is none of these.
    expect(await split('syslog', /^<83>1 \S+ \S+ sudo /)).toEqual({ attack: 0, benign: 0 });
    const opened = await split('syslog', /^<86>1 \S+ \S+ sudo \d+ - - pam_unix\(sudo:session\): session opened/);
    expect(opened.attack).toBe(1);
    expect(opened.benign).toBeGreaterThan(0);
  });

  it('syslog: a pid below the highest benign pid so far does not mark an attack', async () => {
    // Later lines of a process (sshd sessions, cron jobs, sudo runs) carry the pid it got when
    // it started, for benign traffic as for the attack's connections.
    const { text, summary } = await gen({ logType: 'syslog', count: 20_000, seed: 1, scenarios: ['ssh-brute-force'] });
    const attack = new Set(summary.labels.flatMap((l) => l.recordIds));
    let max = 0;
    const below = { attack: 0, benign: 0 };
    text.trimEnd().split('\n').forEach((l, i) => {
      const pid = Number(l.split(' ')[4]);
      if (!(pid > 1)) return;
      const k = attack.has(i + 1) ? 'attack' : 'benign';
      if (pid < max) below[k]++;
      if (k === 'benign') max = Math.max(max, pid);
    });
    expect(below.attack).toBeGreaterThan(0);
    // A process lives on one host: every line with its pid does too.
    const hostOf = new Map<string, string>();
    for (const l of text.trimEnd().split('\n')) {
      const [, , host, app, pid] = l.split(' ');
      if (!(Number(pid) > 1)) continue;
      const key = `${app} ${pid}`;
      expect(hostOf.get(key) ?? host, key).toBe(host);
      hostOf.set(key, host!);
    }
    // As a detector, "pid below the running max" would flag mostly benign lines.
    expect(below.attack / (below.attack + below.benign)).toBeLessThan(0.05);
  });
});

describe('verifone card numbers', () => {
  it('masked PANs have the brand\'s length and issuer prefix, first 6 and last 4 shown', async () => {
    const { text } = await gen({ logType: 'verifone', count: 6000, seed: 1, format: 'jsonl' });
    const pans = new Map<string, string[]>();
    for (const l of text.trimEnd().split('\n')) {
      const r = JSON.parse(l) as { CardBrand: string; MaskedPan: string };
      if (r.MaskedPan) pans.set(r.CardBrand, [...(pans.get(r.CardBrand) ?? []), r.MaskedPan]);
    }
    // Brand rules (ISO/IEC 7812 IINs as the brands publish them): AMEX 34/37 and 15 digits;
    // Mastercard 51-55 or 2221-2720, 16 digits; Visa 4; Discover 6011, 644-649, 65.
    const inRange = (p: string, lo: number, hi: number): boolean => Number(p.slice(0, String(lo).length)) >= lo && Number(p.slice(0, String(hi).length)) <= hi;
    const rules: Record<string, { length: number; iin: (p: string) => boolean }> = {
      AMEX: { length: 15, iin: (p) => /^3[47]/.test(p) },
      MASTERCARD: { length: 16, iin: (p) => inRange(p, 51, 55) || inRange(p, 2221, 2720) },
      VISA: { length: 16, iin: (p) => p.startsWith('4') },
      DISCOVER: { length: 16, iin: (p) => /^(6011|64[4-9]|65)/.test(p) },
    };
    expect([...pans.keys()].sort()).toEqual(Object.keys(rules).sort());
    for (const [brand, list] of pans) {
      const rule = rules[brand]!;
      for (const p of list) {
        expect(p, brand).toMatch(new RegExp(`^\\d{6}\\*{${rule.length - 10}}\\d{4}$`));
        expect(rule.iin(p), `${brand} ${p}`).toBe(true);
      }
    }
    // Both Mastercard series occur.
    expect(pans.get('MASTERCARD')!.some((p) => p.startsWith('2'))).toBe(true);
    expect(pans.get('MASTERCARD')!.some((p) => p.startsWith('5'))).toBe(true);
  });
});

describe('streaming', () => {
  it('honours backpressure: never more than one chunk ahead of a slow sink', async () => {
    let pending = 0;
    let maxPending = 0;
    let total = 0;
    const sink = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _e, cb) {
        pending += chunk.length;
        maxPending = Math.max(maxPending, pending);
        setImmediate(() => {
          pending -= chunk.length;
          total += chunk.length;
          cb();
        });
      },
    });
    const summary = await writeDataset(resolveRequest(DatasetRequest.parse({ logType: 'syslog', count: 20_000, seed: 0 })), sink);
    expect(total).toBe(summary.bytes);
    expect(summary.bytes).toBeGreaterThan(2_000_000);
    // One ~64 KiB chunk in flight at a time (a chunk is cut after the event that crosses 64 Ki chars).
    expect(maxPending).toBeLessThan(80 * 1024);
  });
});

// Real AKS records (read at test time from ../shared, never copied here).
const AKS_FIXTURES = fileURLToPath(new URL('../../shared/fixtures/aks/', import.meta.url));

interface RealRecord {
  category: string;
  operationName: string;
  time: string;
  resourceId: string;
  properties: Record<string, string>;
  [k: string]: unknown;
}

function realRecords(): RealRecord[] {
  const out: RealRecord[] = [];
  for (const f of readdirSync(AKS_FIXTURES, { recursive: true, withFileTypes: true })) {
    if (!f.isFile() || !f.name.endsWith('.json')) continue;
    const doc = JSON.parse(readFileSync(`${f.parentPath}/${f.name}`, 'utf8').replace(/^\uFEFF/, '')) as { records?: RealRecord[]; category?: string };
    if (Array.isArray(doc.records)) out.push(...doc.records);
    else if (typeof doc.category === 'string') out.push(doc as RealRecord);
  }
  return out;
}

/** Keys present in every object, and in any. */
function keySets(objs: readonly object[]): { all: string[]; any: Set<string> } {
  const lists = objs.map((o) => Object.keys(o));
  return { all: lists.reduce((a, l) => a.filter((k) => l.includes(k)), lists[0] ?? []), any: new Set(lists.flat()) };
}

/** Pairs (a before b) of keys that appear together in `order`: the relative order a real producer uses. */
function orderPairs(order: readonly string[]): Set<string> {
  const pairs = new Set<string>();
  order.forEach((a, i) => order.slice(i + 1).forEach((b) => pairs.add(`${a}<${b}`)));
  return pairs;
}

describe.skipIf(!existsSync(AKS_FIXTURES))('AKS records against the real samples in ../shared/fixtures/aks', () => {
  it('same record keys, properties, operationName, resourceId and time shape; audit events with the real keys in the real order', async () => {
    const real = realRecords();
    expect(real.length).toBeGreaterThanOrEqual(20);
    const gen = (await generateAksBodies({ count: 400, seed: 5, scenarios: ['all'], logType: 'aks-diagnostics' })).bodies.flatMap((b) => b.records);
    const top = keySets(real);
    const props = keySets(real.map((r) => r.properties));
    const realAudit = real.filter((r) => r.category.startsWith('kube-audit')).map((r) => JSON.parse(r.properties.log!) as Record<string, unknown>);
    const auditKeys = keySets(realAudit);
    const userKeys = keySets(realAudit.map((e) => e.user as object));
    const realOrder = new Set(realAudit.flatMap((e) => [...orderPairs(Object.keys(e))]));
    const categories = new Set(real.map((r) => r.category));
    const realTime = real.map((r) => r.time);
    expect(realTime.some((t) => /\.\d{7}Z$/.test(t))).toBe(true); // the shape generated below occurs in real data

    for (const r of gen) {
      for (const k of top.all) expect(Object.keys(r)).toContain(k);
      for (const k of Object.keys(r)) expect(top.any.has(k), `record key ${k}`).toBe(true);
      for (const k of props.all) expect(Object.keys(r.properties)).toContain(k);
      for (const k of Object.keys(r.properties)) expect(props.any.has(k), `properties.${k}`).toBe(true);
      expect(real.map((x) => x.operationName)).toContain(r.operationName);
      expect(categories.has(r.category), r.category).toBe(true);
      expect(r.resourceId).toMatch(/^\/SUBSCRIPTIONS\/[0-9A-F-]+\/RESOURCEGROUPS\/[^/a-z]+\/PROVIDERS\/MICROSOFT\.CONTAINERSERVICE\/MANAGEDCLUSTERS\/[^/a-z]+$/);
      expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      const audit = r.category.startsWith('kube-audit');
      expect(r.properties.stream).toBe(audit ? 'stdout' : 'stderr');
      expect(real.filter((x) => x.category.startsWith('kube-audit') === audit).every((x) => x.properties.stream === r.properties.stream)).toBe(true);
      if (!audit) {
        expect(r.properties.log).toMatch(/^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [\w.]+:\d+\] /); // klog header, as the real lines
        continue;
      }
      expect(r.properties.log.endsWith('}\n')).toBe(true);
      const ev = JSON.parse(r.properties.log) as Record<string, unknown>;
      for (const k of auditKeys.all) expect(Object.keys(ev)).toContain(k);
      for (const k of Object.keys(ev)) expect(auditKeys.any.has(k), `audit key ${k}`).toBe(true);
      for (const k of Object.keys(ev.user as object)) expect(userKeys.any.has(k), `user.${k}`).toBe(true);
      // Every pair of keys that a real event also holds comes in the real order.
      for (const p of orderPairs(Object.keys(ev))) {
        const [a, b] = p.split('<');
        if (realOrder.has(`${b}<${a}`)) expect(realOrder.has(p), `${a} before ${b}`).toBe(true);
      }
      expect(ev.requestReceivedTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
  });
});

describe('AKS records are shaped like the real fixtures', () => {
  it('bodies of records with the Azure Monitor envelope', async () => {
    const { bodies, labels } = await generateAksBodies({ count: 260, seed: 11, scenarios: ['all'] });
    expect(bodies.length).toBe(Math.ceil(260 / 50));
    const byId = new Map<string, string[]>();
    for (const b of bodies)
      for (const r of b.records) {
        expect(Object.keys(r)).toEqual(['category', 'operationName', 'properties', 'resourceId', 'time']);
        expect(r.operationName).toBe('Microsoft.ContainerService/managedClusters/diagnosticLogs/Read');
        expect(r.resourceId).toBe(r.resourceId.toUpperCase());
        expect(r.resourceId).toMatch(/^\/SUBSCRIPTIONS\/[0-9A-F-]+\/RESOURCEGROUPS\/[^/]+\/PROVIDERS\/MICROSOFT\.CONTAINERSERVICE\/MANAGEDCLUSTERS\/[^/]+$/);
        expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
        expect(Object.keys(r.properties).sort()).toEqual(['containerID', 'log', 'pod', 'stream']);
        expect(r.category).toBe('kube-audit');
        expect(r.properties.stream).toBe('stdout');
        expect(r.properties.log.endsWith('\n')).toBe(true);
        const ev = JSON.parse(r.properties.log) as Record<string, unknown>;
        expect(ev.kind).toBe('Event');
        expect(ev.apiVersion).toBe('audit.k8s.io/v1');
        const stages = byId.get(ev.auditID as string) ?? [];
        stages.push(ev.stage as string);
        byId.set(ev.auditID as string, stages);
      }
    // One auditID per request: a stream (exec, pods/log, a watch) is audited at ResponseStarted,
    // then at ResponseComplete under the same id; one still streaming when the data ends has
    // only the first.
    expect([...byId.values()].reduce((n, v) => n + v.length, 0)).toBe(260);
    for (const stages of byId.values()) expect([['ResponseComplete'], ['ResponseStarted', 'ResponseComplete'], ['ResponseStarted']]).toContainEqual(stages);
    expect([...byId.values()].filter((v) => v.length === 2).length).toBeGreaterThan(1);
    expect(labels.map((l) => l.scenario).sort()).toEqual(['anonymous-access', 'cluster-admin-binding', 'exec-into-pod', 'hostpath-mount', 'privileged-pod', 'secret-enumeration']);
    // auditIds lists each request once: exec-into-pod's two stages are one request.
    for (const l of labels) expect(l.auditIds?.length).toBe(l.scenario === 'exec-into-pod' ? 1 : l.recordIds.length);
  });

  it('a dataset starting at 1970-01-01 writes every requestReceivedTimestamp as RFC 3339, before its stageTimestamp', async () => {
    // Received = event time - request latency, so the first events of the first day were
    // received in 1969: their times used to come out as '1969-12-31T23:59:59.0-7387Z'.
    for (const logType of ['aks-audit', 'aks-diagnostics'] as const) {
      const { text } = await gen({ logType, count: 400, seed: 1, start: '1970-01-01T00:00:00Z', format: 'raw' });
      const events = text.trimEnd().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { requestReceivedTimestamp: string; stageTimestamp: string });
      expect(events.some((e) => e.requestReceivedTimestamp.startsWith('1969-12-31T23:'))).toBe(true);
      for (const e of events) {
        expect(e.requestReceivedTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
        expect(Date.parse(e.requestReceivedTimestamp)).toBeLessThanOrEqual(Date.parse(e.stageTimestamp));
      }
    }
  });

  it("aks-audit levels follow AKS's audit policy: secrets and configmaps at Metadata (coredns-custom's updates aside), never with request objects", async () => {
    // ../shared/reference/aks-audit-policy.yaml: "Secrets, ConfigMaps, ServiceAccounts, TokenRequest and TokenReviews … only log at the Metadata level".
    const { text } = await gen({ logType: 'aks-audit', count: 20_000, seed: 3, scenarios: ['all'], format: 'raw' });
    type Ev = { level: string; verb: string; objectRef?: { resource?: string; name?: string }; requestObject?: unknown };
    const events = text.trimEnd().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Ev);
    const sensitive = events.filter((e) => ['secrets', 'configmaps', 'serviceaccounts'].includes(e.objectRef?.resource ?? '') && !(e.objectRef?.name === 'coredns-custom' && ['update', 'patch'].includes(e.verb)));
    expect(sensitive.length).toBeGreaterThan(500);
    expect(sensitive.filter((e) => e.level !== 'Metadata').map((e) => `${e.verb} ${e.objectRef?.resource} ${e.level}`)).toEqual([]);
    expect(sensitive.filter((e) => e.requestObject !== undefined)).toEqual([]);
  });

  it('the two stages of one kubectl exec share auditID and requestReceivedTimestamp', async () => {
    for (const logType of ['aks-audit', 'aks-diagnostics'] as const)
      for (const seed of [1, 3, 9]) {
        const { text, summary } = await gen({ logType, count: 300, seed, scenarios: ['exec-into-pod'], format: 'raw' });
        const lines = text.split('\n');
        const label = summary.labels.find((l) => l.scenario === 'exec-into-pod')!;
        const [started, complete] = label.recordIds.map((id) => JSON.parse(lines[id - 1]!) as { stage: string; auditID: string; requestReceivedTimestamp: string; stageTimestamp: string });
        expect([started!.stage, complete!.stage]).toEqual(['ResponseStarted', 'ResponseComplete']);
        expect(complete!.auditID).toBe(started!.auditID);
        expect(complete!.requestReceivedTimestamp).toBe(started!.requestReceivedTimestamp);
        expect(started!.requestReceivedTimestamp < started!.stageTimestamp && started!.stageTimestamp <= complete!.stageTimestamp).toBe(true);
        expect(label.auditIds).toEqual([started!.auditID]);
      }
  });

  it('streams (kubectl logs, kubelet watches, exec): one auditID, ResponseStarted before ResponseComplete, one apiserver; a short dataset holds completions of watches already running', async () => {
    const { bodies } = await generateAksBodies({ count: 3000, seed: 4, logType: 'aks-audit', scenarios: ['all'] });
    const byId = new Map<string, { stage: string; pod: string; verb: string; received: string; at: string }[]>();
    for (const b of bodies)
      for (const r of b.records) {
        const ev = JSON.parse(r.properties.log) as { auditID: string; stage: string; verb: string; requestReceivedTimestamp: string; stageTimestamp: string };
        const list = byId.get(ev.auditID) ?? [];
        list.push({ stage: ev.stage, pod: r.properties.pod, verb: ev.verb, received: ev.requestReceivedTimestamp, at: ev.stageTimestamp });
        byId.set(ev.auditID, list);
      }
    let streams = 0;
    let completedWatches = 0;
    for (const list of byId.values()) {
      if (list.length === 2) {
        streams++;
        expect(list.map((x) => x.stage)).toEqual(['ResponseStarted', 'ResponseComplete']);
        expect(list[0]!.pod).toBe(list[1]!.pod);
        expect(list[0]!.received).toBe(list[1]!.received);
        expect(list[0]!.at <= list[1]!.at).toBe(true);
      }
      if (list.some((x) => x.verb === 'watch' && x.stage === 'ResponseComplete')) completedWatches++;
    }
    expect(streams).toBeGreaterThan(3);
    // 300 s of data: watches last 5-9 minutes, so their completions are of watches running before it.
    expect(completedWatches).toBeGreaterThan(50);
  });

  it('apiserver records are klog lines on stderr', async () => {
    const { bodies } = await generateAksBodies({ count: 60, seed: 1, logType: 'aks-apiserver', scenarios: ['exec-into-pod'] });
    for (const r of bodies.flatMap((b) => b.records)) {
      expect(r.category).toBe('kube-apiserver');
      expect(r.properties.stream).toBe('stderr');
      expect(r.properties.log).toMatch(/^I\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ httplog\.go:132\] "HTTP" verb="/);
    }
  });
});

describe('request validation', () => {
  it('accepts seed 0 and names bad fields', () => {
    expect(DatasetRequest.parse({ logType: 'syslog', seed: 0 }).seed).toBe(0);
    const bad = DatasetRequest.safeParse({ logType: 'syslog', count: 0 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['count']);
    expect(DatasetRequest.safeParse({ logType: 'nope' }).error!.issues[0]!.path).toEqual(['logType']);
    expect(DatasetRequest.safeParse({ logType: 'syslog', end: '2024-01-01T00:00:00Z', rate: 5 }).error!.issues[0]!.path).toEqual(['rate']);
    expect(DatasetRequest.safeParse({ logType: 'syslog', start: 'yesterday' }).error!.issues[0]!.path).toEqual(['start']);
  });
  it('reports each problem once, on its field: the range and span checks skip values that did not parse', () => {
    const issues = (body: Record<string, unknown>): string[] => DatasetRequest.safeParse(body).error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    // A malformed instant was also said to fall outside 1970-2199; rate 0 (or a count over the cap)
    // also to run past 2199; a malformed start also made a good end "not after start".
    expect(issues({ logType: 'syslog', start: '2023-13-01' })).toEqual(['start: Invalid ISO datetime']);
    expect(issues({ logType: 'syslog', end: 'nope' })).toEqual(['end: Invalid ISO datetime']);
    expect(issues({ logType: 'syslog', start: 'nope', end: '2024-01-02T00:00:00Z' })).toEqual(['start: Invalid ISO datetime']);
    expect(issues({ logType: 'syslog', count: 50, rate: 0 })).toEqual([expect.stringMatching(/^rate: Too small/)]);
    expect(issues({ logType: 'syslog', count: 2_000_000, rate: 1e-4 })).toEqual([expect.stringMatching(/^count: Too big/)]);
    // A seed past the safe integers was "Too big" twice (int's own bound and a max on top).
    expect(issues({ logType: 'syslog', seed: 1e300 })).toEqual([expect.stringMatching(/^seed: Too big: expected int to be <=9007199254740991$/)]);
    expect(issues({ logType: 'syslog', seed: -(2 ** 53) })).toEqual([expect.stringMatching(/^seed: Too small/)]);
    expect(DatasetRequest.parse({ logType: 'syslog', seed: Number.MIN_SAFE_INTEGER }).seed).toBe(Number.MIN_SAFE_INTEGER);
    // What parses is still checked.
    expect(issues({ logType: 'syslog', start: '1969-12-31T00:00:00Z' })).toEqual([expect.stringMatching(/^start: start must fall in the years 1970-2199/)]);
    expect(issues({ logType: 'syslog', count: 50, rate: 1e-12 })).toEqual([expect.stringMatching(/^rate: 50 events at 1e-12\/s .* would run past 2199-12-31/)]);
  });
  it('an omitted count defaults to 1000, or to the cap when the deployment allows fewer', () => {
    expect(datasetRequestSchema().parse({ logType: 'syslog' }).count).toBe(1000);
    expect(datasetRequestSchema(5000).parse({ logType: 'syslog' }).count).toBe(1000);
    expect(datasetRequestSchema(500).parse({ logType: 'syslog' }).count).toBe(500);
    expect(datasetRequestSchema(500).safeParse({ logType: 'syslog', count: 501 }).error!.issues[0]!.path).toEqual(['count']);
  });
  it('refuses unknown scenario names beside "all" and syslog options that would change nothing', () => {
    const fieldOf = (body: DatasetRequestInput): string | undefined => {
      try {
        resolveRequest(DatasetRequest.parse(body));
        return undefined;
      } catch (e) {
        return (e as PlanError).field;
      }
    };
    expect(fieldOf({ logType: 'syslog', count: 300, scenarios: ['all', 'bogus'] })).toBe('scenarios');
    expect(fieldOf({ logType: 'syslog', count: 300, scenarios: ['all', 'port-scan'] })).toBeUndefined();
    expect(fieldOf({ logType: 'syslog', syslog: { protocol: 'rfc5424', pri: false } })).toBe('syslog.pri');
    expect(fieldOf({ logType: 'syslog', syslog: { protocol: 'rfc5424', pri: true } })).toBeUndefined();
    expect(fieldOf({ logType: 'syslog', syslog: { protocol: 'rfc3164', pri: false } })).toBeUndefined();
    expect(fieldOf({ logType: 'cef', syslog: { protocol: 'rfc3164' } })).toBe('syslog');
    // What stays accepted resolves to one canonical request: explicit defaults name the same blob.
    const hashOf = (body: DatasetRequestInput): string => requestHash(resolveRequest(DatasetRequest.parse(body)));
    expect(hashOf({ logType: 'syslog', syslog: { protocol: 'rfc5424', pri: true } })).toBe(hashOf({ logType: 'syslog' }));
  });
  it('rejects formats and scenarios the log type does not have', () => {
    expect(() => resolveRequest(DatasetRequest.parse({ logType: 'syslog', format: 'eventhub' }))).toThrow(/format/);
    expect(() => resolveRequest(DatasetRequest.parse({ logType: 'cef', scenarios: ['privileged-pod'] }))).toThrow(/unknown scenario/);
    expect(() => resolveRequest(DatasetRequest.parse({ logType: 'windows', count: 5, scenarios: ['all'] }))).toThrow(/too small/);
  });
  it('end spreads events between start and end', async () => {
    const { text } = await gen({ logType: 'verifone', count: 100, seed: 3, start: '2024-05-01T00:00:00Z', end: '2024-05-02T00:00:00Z', format: 'jsonl' });
    const times = text.trim().split('\n').map((l) => (JSON.parse(l) as { TimeGenerated: string }).TimeGenerated);
    expect(times[0]! >= '2024-05-01T00:00:00').toBe(true);
    expect(times.at(-1)! < '2024-05-02T00:00:00').toBe(true);
    expect(times.at(-1)! > '2024-05-01T20:00:00').toBe(true);
  });
});
