// Patterns with wildcards (loghub templates, ignore-file globs) as regular expressions.

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Regex source of `pattern`: its text matched literally, each wildcard token (a key of
 * `wildcards`, longest first where one contains another) replaced by the source it maps to.
 */
export function wildcardSource(pattern: string, wildcards: Readonly<Record<string, string>>): string {
  const tokens = Object.keys(wildcards).sort((a, b) => b.length - a.length);
  const split = new RegExp(`(${tokens.map(escapeRegExp).join('|')})`);
  return pattern
    .split(split)
    .map((part, i) => (i % 2 === 1 ? wildcards[part]! : escapeRegExp(part)))
    .join('');
}
