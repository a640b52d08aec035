// Kubernetes audit webhook backend: the API server POSTs an audit.k8s.io/v1 EventList.
// An event is checked by the normalizer's own rule (normalize/audit.ts auditEventProblem),
// so what this route refuses is exactly what the hub side would dead-letter; everything
// else rides along untouched.
import { z } from 'zod';
import { auditEventProblem } from '../normalize/audit.js';

export const auditEventSchema = z.looseObject({}).superRefine((event, ctx) => {
  const problem = auditEventProblem(event);
  if (problem) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message, input: event });
});

/** The list around the events; the events themselves are checked one by one (auditEventSchema). */
export const eventListSchema = z.looseObject({
  kind: z.literal('EventList'),
  apiVersion: z.string().optional(),
  // An empty list has nothing to take: a 400 naming items, as an empty array of alerts is.
  items: z.array(z.unknown()).min(1, 'empty, expected at least one audit Event'),
});
