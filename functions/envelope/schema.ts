// The shapes the envelope accepts, as zod schemas. The hot path checks the same rules with
// plain typeof tests (records.ts: isValidRecord); zod runs only when that check fails, to
// say precisely what is wrong in the dead letter. test/envelope-schema.test.ts keeps the two
// in agreement.
import { z } from 'zod';

/** properties of an AKS diagnostic record; extra keys (containerID, ...) are tolerated. */
export const diagnosticPropertiesSchema = z
  .object({
    log: z.string(),
    pod: z.string().optional(),
    stream: z.string().optional(),
    containerID: z.string().optional(),
  })
  .loose();

/** One AKS diagnostic record as Azure Monitor diagnostic settings stream it. Extra top-level fields vary by year. */
export const diagnosticRecordSchema = z
  .object({
    category: z.string().min(1),
    time: z.string().optional(),
    resourceId: z.string().optional(),
    operationName: z.string().optional(),
    properties: diagnosticPropertiesSchema,
  })
  .loose();

/** Event Hubs body from diagnostic settings. */
export const diagnosticBodySchema = z.object({ records: z.array(z.unknown()) }).loose();

/** audit.k8s.io/v1 EventList (webhook backend batches). */
export const eventListSchema = z.object({ kind: z.literal('EventList'), items: z.array(z.unknown()) }).loose();

/** One-line reason from a zod error: "properties.log: expected string, received number; ...". */
export function describeZodError(err: z.ZodError, max = 3): string {
  return err.issues
    .slice(0, max)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
