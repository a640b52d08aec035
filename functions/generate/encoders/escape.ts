// Escapers from a table: ASCII character code → replacement text. A value that needs no
// escaping (the common case) comes back as the same string, without a copy.

export type Escaper = (v: string) => string;

export function tableEscaper(replacements: Readonly<Record<number, string>>): Escaper {
  const table: (string | undefined)[] = new Array<string | undefined>(128).fill(undefined);
  for (const [code, rep] of Object.entries(replacements)) table[Number(code)] = rep;
  return (v) => {
    let i = 0;
    for (; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c < 128 && table[c] !== undefined) break;
    }
    if (i === v.length) return v;
    let out = '';
    let from = 0;
    for (; i < v.length; i++) {
      const c = v.charCodeAt(i);
      const rep = c < 128 ? table[c] : undefined;
      if (rep === undefined) continue;
      out += v.slice(from, i) + rep;
      from = i + 1;
    }
    return out + v.slice(from);
  };
}
