// The hot-path record check (isValidRecord) and the zod schema (diagnosticRecordSchema) must
// accept and reject exactly the same records.
import { describe, expect, it } from 'vitest';
import { isValidRecord } from '../functions/envelope/index.js';
import { diagnosticRecordSchema } from '../functions/envelope/schema.js';
import { diagRecord } from './support/records.js';

const base = diagRecord('kube-apiserver', 'line');
const variants: Record<string, unknown>[] = [
  base,
  { ...base, extra: { nested: true }, Cloud: 'AzureCloud' },
  { ...base, time: undefined },
  { ...base, resourceId: undefined },
  { ...base, operationName: undefined },
  { ...base, category: '' },
  { ...base, category: 7 },
  { ...base, category: undefined },
  { ...base, time: 5 },
  { ...base, time: null },
  { ...base, resourceId: {} },
  { ...base, operationName: false },
  { ...base, properties: null },
  { ...base, properties: [] },
  { ...base, properties: 'x' },
  { ...base, properties: { log: 1 } },
  { ...base, properties: { log: 'x' } },
  { ...base, properties: { log: 'x', pod: 1 } },
  { ...base, properties: { log: 'x', stream: null } },
  { ...base, properties: { log: 'x', containerID: 3 } },
  { ...base, properties: { log: 'x', other: 3 } },
  { ...base, properties: { log: null } },
];

describe('envelope schema agreement', () => {
  it.each(variants.map((v, i) => [i, v] as const))('variant %i', (_i, v) => {
    const clean = JSON.parse(JSON.stringify(v)) as Record<string, unknown>; // undefined keys dropped, as in real JSON
    expect(isValidRecord(clean)).toBe(diagnosticRecordSchema.safeParse(clean).success);
  });
});
