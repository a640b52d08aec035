// Stored functions for the windowed detectors: functions/detect/kql.ts renders their KQL from
// the detection policy; the database script ships those of the default `aks` profile.
import { defaultPolicy, type Policy } from '../detect/index.js';
import { windowDetectorFunctions } from '../detect/kql.js';
import type { StoredFunction } from './queries.js';

export function windowFunctions(policy: Policy = defaultPolicy('aks')): StoredFunction[] {
  return windowDetectorFunctions(policy).map((f) => ({ name: f.name, folder: 'KubeSift/Detectors', docstring: f.docstring, parameters: f.parameters, body: f.body }));
}
