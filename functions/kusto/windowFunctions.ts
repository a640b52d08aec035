// Stored functions for the windowed detectors (functions/detect/kql.ts renders their KQL
// from the detection policy). Until that module lands this returns none.
import type { StoredFunction } from './queries.js';

export function windowFunctions(): StoredFunction[] {
  return [];
}
