// Pools of plausible names and addresses. Addresses come from the documentation ranges
// (RFC 5737 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) for "internet" peers and
// RFC 1918 space for the inside, so a synthetic dataset never names a real host.
import type { Rng } from './prng.js';

export const EXTERNAL_NETS = ['192.0.2', '198.51.100', '203.0.113'] as const;

export const externalIp = (rng: Rng): string => `${rng.pick(EXTERNAL_NETS)}.${rng.range(1, 254)}`;
export const internalIp = (rng: Rng, net = '10.0'): string => `${net}.${rng.range(0, 15)}.${rng.range(2, 254)}`;
export const ephemeralPort = (rng: Rng): number => rng.range(32768, 60999);

export const LINUX_USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'deploy', 'ansible'] as const;
export const GUESSED_USERS = ['root', 'admin', 'test', 'user', 'oracle', 'postgres', 'ubuntu', 'pi', 'git', 'guest', 'ftp', 'support'] as const;

export const HOST_ROLES = ['web', 'app', 'db', 'cache', 'bastion', 'build', 'mon'] as const;

/** `n` distinct host names like web-03. */
export function hostNames(rng: Rng, n: number): string[] {
  const out = new Set<string>();
  while (out.size < n) out.add(`${rng.pick(HOST_ROLES)}-${String(rng.range(1, 24)).padStart(2, '0')}`);
  return [...out];
}
