// zod names a missing field's problem "Invalid input: expected string, received undefined";
// a caller reads "missing" faster. Passed per parse (`safeParse(x, { error: missingField })`)
// rather than set globally, so every schema keeps zod's other messages.
import type { z } from 'zod';

export function missingField(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input !== undefined) return undefined;
  if (issue.code === 'invalid_type') return `missing, expected ${issue.expected}`;
  if (issue.code === 'invalid_value') return `missing, expected one of ${issue.values.map((v) => (typeof v === 'string' ? `"${v}"` : String(v))).join('|')}`;
  return undefined;
}
