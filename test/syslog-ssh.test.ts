// SSH password guessing in syslog: the generator's ssh-brute-force scenario against what real
// sshd hosts write (../shared/fixtures/loghub/OpenSSH_2k, read here, never copied), and
// FailedLoginsByHost's count of tries against both.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ANALYSIS_QUERIES } from '../functions/kusto/queries.js';
import { datasetRows } from './support/datasets.js';
import { wildcardSource } from './support/regex.js';

const syslogRows = (seed: number) => datasetRows({ logType: 'syslog', count: 3000, seed, scenarios: ['ssh-brute-force'] });

// FailedLoginsByHost's syslog rule, run here on JS strings: one try per "Failed … for …"
// line but "Failed none" (a probe, not a credential), N per "message repeated N times:
// [ Failed … ]". The regex is read from the shipped query, so this follows the KQL rather
// than a copy of it.
const body = ANALYSIS_QUERIES.find((q) => q.name === 'FailedLoginsByHost')!.body;
const repeated = new RegExp(/extract\(@'([^']+)', 1, SyslogMessage\)/.exec(body)![1]!);
function tries(process: unknown, message: string): number {
  if (process !== 'sshd') return 0;
  if (message.startsWith('Failed ') && !message.startsWith('Failed none ') && message.includes(' for ')) return 1;
  if (message.startsWith('message repeated ')) return Number(repeated.exec(message)?.[1] ?? 0);
  return 0;
}

/**
 * The same tries counted from PAM's side: pam_unix logs the first failure of a connection,
 * and sshd's PAM cleanup "PAM N more authentication failure(s)" the rest.
 */
function pamFailures(message: string): number {
  if (message.startsWith('pam_unix(sshd:auth): authentication failure;')) return 1;
  const more = /^PAM (\d+) more authentication failures?;/.exec(message);
  return more ? Number(more[1]) : 0;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('FailedLoginsByHost (syslog side)', () => {
  it('keeps one rule per line kind in the shipped KQL', () => {
    expect(body).toContain("| where ProcessName == 'sshd'");
    expect(body).toContain("SyslogMessage startswith 'Failed ' and not(SyslogMessage startswith 'Failed none ') and SyslogMessage has ' for ', 1,");
    expect(body).toContain("SyslogMessage startswith 'message repeated ', tolong(extract(@'");
    expect(body).toContain('Failures = sum(Attempts)');
    expect(tries('sshd', 'message repeated 5 times: [ Failed password for root from 203.0.113.7 port 40022 ssh2]')).toBe(5);
    // A repeated line of something else is not a try.
    expect(tries('sshd', 'message repeated 3 times: [ Received disconnect from 203.0.113.7 port 40022:11: Bye Bye [preauth]]')).toBe(0);
    expect(tries('sshd', 'Invalid user admin from 203.0.113.7 port 50022')).toBe(0);
    expect(tries('sshd', 'Failed none for invalid user admin from 203.0.113.7 port 50022 ssh2')).toBe(0);
    expect(tries('sshd', 'Failed publickey for root from 203.0.113.7 port 50022 ssh2')).toBe(1);
  });

  it('counts every guess of the generated brute force once, as PAM counts them', async () => {
    for (const seed of [0, 1, 2]) {
      const { rows, labelled } = await syslogRows(seed);
      const attack = rows.filter((r) => labelled.has(r.RecordId as number));
      const msgs = attack.map((r) => String(r.SyslogMessage));
      const guesses = sum(attack.map((r) => tries(r.ProcessName, String(r.SyslogMessage))));
      expect(guesses, `seed ${seed}`).toBe(sum(msgs.map(pamFailures)));
      expect(guesses).toBeGreaterThanOrEqual(16);
      // Folded repeats are part of it: the "Failed" lines alone count fewer.
      expect(msgs.filter((m) => m.startsWith('Failed ')).length).toBeLessThan(guesses);
      // Benign traffic fails too (an admin's mistyped password), once from an address, so the
      // counts per source still set the guesser apart. About one line in 800 is such a try:
      // 20,000 lines hold enough of them whatever the seed (3,000 can hold none).
      const wide = await datasetRows({ logType: 'syslog', count: 20_000, seed, scenarios: ['ssh-brute-force'] });
      const benign = new Map<string, number>();
      for (const r of wide.rows.filter((x) => !wide.labelled.has(x.RecordId as number))) {
        const n = tries(r.ProcessName, String(r.SyslogMessage));
        if (n > 0) benign.set(String(r.SrcIp), (benign.get(String(r.SrcIp)) ?? 0) + n);
      }
      expect(benign.size, `seed ${seed}: benign failures`).toBeGreaterThan(0);
      expect(Math.max(...benign.values())).toBe(1);
    }
  });
});

const OPENSSH = fileURLToPath(new URL('../../shared/fixtures/loghub/', import.meta.url));
const haveLoghub = existsSync(`${OPENSSH}OpenSSH_2k.log_structured.csv`) && existsSync(`${OPENSSH}OpenSSH_2k.log_templates.csv`);

/** Comma-separated lines with a known field count (these files quote nothing). */
function csvRows(file: string, fields: number): string[][] {
  const lines = readFileSync(`${OPENSSH}${file}`, 'utf8').trimEnd().split(/\r?\n/).slice(1);
  return lines.map((l) => {
    const f = l.split(',');
    expect(f, l).toHaveLength(fields);
    return f;
  });
}

/** A loghub template ("<*>" for a variable part) as an anchored regex. */
const templateRegex = (t: string): RegExp => new RegExp(`^${wildcardSource(t, { '<*>': '.+?' })}$`);

/**
 * Lines the generator writes that this 2015 sample has no template for, because OpenSSH
 * changed them later (7.x adds "port N" to disconnect lines and names the user in them) or the
 * sample has none (public-key logins). Each must still be one the generator writes (below).
 */
const NEWER_SSHD = [
  'Received disconnect from <*> port <*>:11: <*>',
  'Disconnected from invalid user <*> <*> port <*> [preauth]',
  'Disconnected from authenticating user <*> <*> port <*> [preauth]',
  'error: maximum authentication attempts exceeded for <*> from <*> port <*> ssh2 [preauth]',
  'Disconnecting authenticating user <*> <*> port <*>: Too many authentication failures [preauth]',
  'Accepted publickey for <*> from <*> port <*> ssh2: ED25519 SHA256:<*>',
];

describe.skipIf(!haveLoghub)('real sshd logs (../shared/fixtures/loghub/OpenSSH_2k)', () => {
  it('FailedLoginsByHost counts the tries PAM counts; the "Failed" lines alone miss the folded repeats', () => {
    const content = csvRows('OpenSSH_2k.log_structured.csv', 9).map((f) => f[6]!);
    expect(content).toHaveLength(2000);
    const counted = sum(content.map((m) => tries('sshd', m)));
    const pam = sum(content.map(pamFailures));
    const failedLines = content.filter((m) => m.startsWith('Failed ')).length;
    // 528 and 529: the sample is cut out of a longer log, so one try's lines straddle its edge.
    // Counting every "Failed" line gives 522 (the sample has 10 folded tries and 4 "Failed none").
    expect(Math.abs(counted - pam)).toBeLessThanOrEqual(1);
    expect(pam - failedLines).toBeGreaterThan(5);
  });

  it("every sshd line the generator writes has the shape of a real sshd line", async () => {
    const real = csvRows('OpenSSH_2k.log_templates.csv', 2).map((f) => templateRegex(f[1]!));
    const newer = NEWER_SSHD.map(templateRegex);
    const usedNewer = new Set<number>();
    let matchedReal = 0;
    let sshd = 0;
    for (const seed of [0, 1]) {
      const { rows } = await syslogRows(seed);
      for (const r of rows) {
        if (r.ProcessName !== 'sshd') continue;
        sshd++;
        const m = String(r.SyslogMessage);
        if (real.some((re) => re.test(m))) {
          matchedReal++;
          continue;
        }
        const k = newer.findIndex((re) => re.test(m));
        expect(k, m).toBeGreaterThanOrEqual(0);
        usedNewer.add(k);
      }
    }
    expect(sshd).toBeGreaterThan(500);
    // Most lines match the 2015 templates as they are; the newer list holds nothing unused.
    expect(matchedReal / sshd).toBeGreaterThan(0.5);
    expect([...usedNewer].sort()).toEqual(NEWER_SSHD.map((_, i) => i));
  });
});
