// Verifone point-of-sale terminal log line. Verifone publishes no single log format (each
// POS application writes its own), so KubeSift uses one documented key=value layout:
//   <ISO-8601 UTC> <SEVERITY> [<store>/<terminal>] KEY=value KEY=value ...
// Values made only of [A-Za-z0-9._:/@*+-] are bare; anything else is double-quoted with
// `\` and `"` backslash-escaped and CR/LF/TAB written as \r \n \t, so a line never breaks.

const BARE = /^[A-Za-z0-9._:/@*+-]+$/;

export function posValue(v: string): string {
  if (v !== '' && BARE.test(v)) return v;
  let out = '"';
  for (let i = 0; i < v.length; i++) {
    const ch = v[i] as string;
    if (ch === '\\' || ch === '"') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return out + '"';
}

export function posLine(isoTime: string, severity: string, store: string, terminal: string, fields: readonly (readonly [string, string | number | null])[]): string {
  let out = `${isoTime} ${severity} [${store}/${terminal}]`;
  for (const [k, v] of fields) {
    if (v === null || v === '') continue;
    out += ` ${k}=${typeof v === 'number' ? String(v) : posValue(v)}`;
  }
  return out;
}
