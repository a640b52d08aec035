// Pools of plausible names and addresses. Addresses come from the documentation ranges
// (RFC 5737 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) for "internet" peers and
// RFC 1918 space for the inside, so a synthetic dataset never names a real host.
import { Rng } from './prng.js';
import type { GenEnv } from './types.js';

export const EXTERNAL_NETS = ['192.0.2', '198.51.100', '203.0.113'] as const;
const EXTERNAL_IPS: readonly string[] = EXTERNAL_NETS.flatMap((net) => Array.from({ length: 254 }, (_, i) => `${net}.${i + 1}`));
/** Internet addresses a dataset sets aside for its attackers (of 762). */
const ATTACKER_IPS = 96;

/**
 * A dataset's internet addresses, dealt once from its seed into the attackers' and everyone
 * else's: an attacker's address never shows in a benign row (a detection keyed on it scores
 * cleanly against the labels), and which addresses attack changes with the seed, so no fixed
 * range gives the attack away. Cached per dataset environment; a pure function of the seed.
 */
const internets = new WeakMap<GenEnv, { attackers: readonly string[]; others: readonly string[] }>();
function internetOf(env: GenEnv): { attackers: readonly string[]; others: readonly string[] } {
  let net = internets.get(env);
  if (!net) {
    const rng = new Rng(env.req.seed, 'internet');
    const all = [...EXTERNAL_IPS];
    for (let i = all.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [all[i], all[j]] = [all[j] as string, all[i] as string];
    }
    net = { attackers: all.slice(0, ATTACKER_IPS), others: all.slice(ATTACKER_IPS) };
    internets.set(env, net);
  }
  return net;
}

/** An internet peer of benign traffic (never one of the dataset's attackers). */
export const externalIp = (rng: Rng, env: GenEnv): string => rng.pick(internetOf(env).others);
/** An attacker's internet address (never in benign traffic of the same dataset). */
export const attackerIp = (rng: Rng, env: GenEnv): string => rng.pick(internetOf(env).attackers);
export const internalIp = (rng: Rng, net = '10.0'): string => `${net}.${rng.range(0, 15)}.${rng.range(2, 254)}`;
export const ephemeralPort = (rng: Rng): number => rng.range(32768, 60999);

export const LINUX_USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'deploy', 'ansible'] as const;
export const GUESSED_USERS = ['root', 'admin', 'test', 'user', 'oracle', 'postgres', 'ubuntu', 'pi', 'git', 'guest', 'ftp', 'support'] as const;
/** User names a password guesser tries that the hosts do not have (no LINUX_USERS among them). */
export const INVALID_GUESSES = GUESSED_USERS.filter((u) => u !== 'root');
/** sshd_config MaxAuthTries default: password tries one connection allows. */
export const SSHD_MAX_AUTH_TRIES = 6;

export const HOST_ROLES = ['web', 'app', 'db', 'cache', 'bastion', 'build', 'mon'] as const;

/** `n` distinct host names like web-03. */
export function hostNames(rng: Rng, n: number): string[] {
  const out = new Set<string>();
  while (out.size < n) out.add(`${rng.pick(HOST_ROLES)}-${String(rng.range(1, 24)).padStart(2, '0')}`);
  return [...out];
}
