// How a zod issue reads in a 400 or a dead letter. zod names a missing field's problem
// "Invalid input: expected string, received undefined"; a caller reads "missing" faster.
// Passed per parse (`safeParse(x, { error: missingField })`) rather than set globally, so
// every schema keeps zod's other messages.
import type { z } from 'zod';
import { BODY_FIELD } from './body.js';

export function missingField(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input !== undefined) return undefined;
  if (issue.code === 'invalid_type') return `missing, expected ${issue.expected}`;
  if (issue.code === 'invalid_value') return `missing, expected one of ${issue.values.map((v) => (typeof v === 'string' ? `"${v}"` : String(v))).join('|')}`;
  return undefined;
}

/** First schema issue: the field it names (BODY_FIELD for the body itself) and "field: message"; `at`: where the checked value sits in the body. */
export function describeIssue(error: z.ZodError, at: readonly PropertyKey[] = []): { field: string; text: string } {
  const issue = firstIssue(error.issues, [...at]);
  const field = issue?.path.length ? issue.path.map(String).join('.') : BODY_FIELD;
  return { field, text: `${field}: ${issue?.message ?? 'invalid'}` };
}

/**
 * zod's first issue (its order is the schema's field order: `kind` before `items`). A union
 * reports each branch's issues; the branch whose first issue lies deepest got furthest, so it
 * is most likely the shape the sender meant.
 */
function firstIssue(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): { path: PropertyKey[]; message: string } | undefined {
  const i = issues[0];
  if (!i) return undefined;
  const path = [...prefix, ...i.path];
  let best: { path: PropertyKey[]; message: string } | undefined;
  if (i.code === 'invalid_union')
    for (const branch of i.errors) {
      const b = firstIssue(branch, path);
      if (b && (!best || b.path.length > best.path.length)) best = b;
    }
  return best ?? { path, message: i.message };
}
