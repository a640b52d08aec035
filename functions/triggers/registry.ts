// Registers triggers with the Functions host AND keeps them in a table, so the local runner
// (scripts/local.ts) and tests can drive exactly the handlers the cloud runs.
import functions from '@azure/functions';
import type { EventHubFunctionOptions, HttpFunctionOptions } from '@azure/functions';

export interface HttpTriggerDef {
  name: string;
  options: HttpFunctionOptions;
}
export interface EventHubTriggerDef {
  name: string;
  options: EventHubFunctionOptions;
}

export const httpTriggers: HttpTriggerDef[] = [];
export const eventHubTriggers: EventHubTriggerDef[] = [];

export function httpTrigger(name: string, options: HttpFunctionOptions): HttpTriggerDef {
  const def = { name, options };
  httpTriggers.push(def);
  functions.app.http(name, options);
  return def;
}

export function eventHubTrigger(name: string, options: EventHubFunctionOptions): EventHubTriggerDef {
  const def = { name, options };
  eventHubTriggers.push(def);
  functions.app.eventHub(name, options);
  return def;
}
