// Kubernetes audit webhook backend: the API server POSTs an audit.k8s.io/v1 EventList.
// Only what the normalizer keys on is required; everything else rides along untouched.
import { z } from 'zod';

export const auditEventSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('Event').optional(),
  auditID: z.string().min(1),
  stage: z.string().min(1),
  verb: z.string().min(1),
  requestURI: z.string(),
  stageTimestamp: z.string().optional(),
  user: z.looseObject({ username: z.string().optional() }).optional(),
});

export const eventListSchema = z.looseObject({
  kind: z.literal('EventList'),
  apiVersion: z.string().optional(),
  items: z.array(auditEventSchema),
});
