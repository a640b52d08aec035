// Address lists that accept networks: `10.224.0.0/16`, `fd00::/8`, or one address. Node's
// BlockList does the matching, so IPv4-mapped IPv6 (`::ffff:10.224.0.5`) and the other
// spellings of one IPv6 address (`fd00:0::1`, `FD00::1`) match as the apiserver means them.
import { BlockList, isIP } from 'node:net';

interface Network {
  readonly address: string;
  readonly prefix: number;
  readonly type: 'ipv4' | 'ipv6';
}

/** `address` or `address/prefix` with the prefix in range for its family; null otherwise. */
export function parseNetwork(s: string): Network | null {
  const slash = s.indexOf('/');
  const address = slash < 0 ? s : s.slice(0, slash);
  const type = familyOf(address);
  if (!type) return null;
  const bits = type === 'ipv4' ? 32 : 128;
  if (slash < 0) return { address, prefix: bits, type };
  const p = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > bits) return null;
  return { address, prefix: Number(p), type };
}

/** BlockList's name for the address's family; undefined when it is not an address. */
function familyOf(ip: string): Network['type'] | undefined {
  const family = isIP(ip);
  return family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined;
}

/** A test of one address (no port) against the networks; anything not an IP address is outside. */
export function networkMatcher(entries: readonly string[]): (ip: string) => boolean {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const e of entries) {
    const n = parseNetwork(e);
    if (!n) throw new Error(`not an IP address or network: ${e}`);
    list.addSubnet(n.address, n.prefix, n.type);
  }
  return (ip) => {
    const type = familyOf(ip);
    return type !== undefined && list.check(ip, type);
  };
}
