// What an `int` column (32-bit in ADX) may hold, shared by the audit and kube-apiserver rows,
// and what a `long` one may hold from a JS number.

const DECIMAL = /^-?\d{1,10}$/;

/**
 * A 32-bit integer, or the decimal text of one; null for anything else, as ADX stores a value
 * that does not fit the column. Number() alone would read '0x1f', '1e3' and ' 200', and let a
 * 20-digit code through as 1e20.
 */
export function int32(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && DECIMAL.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 ? n : null;
}

/**
 * A `long` column's value from decimal digits: null past 2^53, where a JS number no longer
 * holds it exactly and would land as another number (past 2^63, which ADX stores as null).
 * No real thread id or line number comes near.
 */
export function safeLong(digits: string): number | null {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}
