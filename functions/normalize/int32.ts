// What an `int` column (32-bit in ADX) may hold, shared by the audit and kube-apiserver rows.

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
