// Local stand-in for Event Hubs: what an HTTP function puts on an Event Hub output binding
// is delivered to the Event Hub–triggered functions listening on that hub, in batches, with
// the trigger metadata the host provides (partition, sequence numbers, offsets, times).
// Hub names resolve %APP_SETTING% references exactly like binding expressions.
import { randomUUID } from 'node:crypto';
import functions from '@azure/functions';
import type { EventHubHandler, InvocationContext } from '@azure/functions';
import type { EventHubTriggerDef } from '../../functions/triggers/registry.js';

export type Log = (line: string) => void;

export function resolveSetting(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return name.replace(/%([^%]+)%/g, (_, key: string) => env[key] ?? '');
}

/**
 * What the host delivers for one event body: the bytes for dataType 'binary'; otherwise
 * parsed JSON when it is JSON, the text when not.
 */
export function asDelivered(body: unknown, binary = false): unknown {
  if (binary) return Buffer.isBuffer(body) ? body : body instanceof Uint8Array ? Buffer.from(body) : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  if (body instanceof Uint8Array) return asDelivered(Buffer.from(body).toString('utf8'));
  return body;
}

export interface PublishOptions {
  partitionId?: string;
  /** First sequence number; default continues this hub's counter. Fixed values make replays land under the same batch keys. */
  firstSequence?: number;
  /** Enqueued time of every event (ISO); default the time of delivery. Fixed, with fixed positions, a publish is a redelivery. */
  enqueuedTime?: string;
}

export interface DeliveryReport {
  hub: string;
  functionName: string;
  events: number;
  batches: number;
  errors: number;
}

export class HubBus {
  readonly #defs: EventHubTriggerDef[];
  readonly #overrides = new Map<string, EventHubHandler>();
  readonly #pending = new Set<Promise<unknown>>();
  // Sequence numbers must not repeat across runs (landing dedupes on them): start at the clock.
  readonly #sequence = new Map<string, number>();
  constructor(
    defs: readonly EventHubTriggerDef[],
    private readonly log: Log,
    private readonly batchSize = 500,
  ) {
    this.#defs = [...defs];
  }

  /** Run a different handler for one trigger (the local runner injects deps this way). */
  override(functionName: string, handler: EventHubHandler): void {
    if (!this.#defs.some((d) => d.name === functionName)) throw new Error(`no Event Hub trigger named ${functionName}`);
    this.#overrides.set(functionName, handler);
  }

  listeners(hub: string): EventHubTriggerDef[] {
    return this.#defs.filter((d) => resolveSetting(d.options.eventHubName) === hub);
  }

  hubs(): string[] {
    return [...new Set(this.#defs.map((d) => resolveSetting(d.options.eventHubName)))];
  }

  /** Deliver bodies to every trigger on `hub`; resolves when all of them have handled it. */
  async publish(hub: string, bodies: readonly unknown[], opts: PublishOptions = {}): Promise<DeliveryReport[]> {
    const partitionId = opts.partitionId ?? '0';
    const key = `${hub}/${partitionId}`;
    const first = opts.firstSequence ?? this.#sequence.get(key) ?? Date.now() * 1000;
    if (opts.firstSequence === undefined) this.#sequence.set(key, first + bodies.length);
    const work = Promise.all(this.listeners(hub).map((def) => this.#deliver(def, hub, partitionId, first, bodies, opts.enqueuedTime)));
    this.#pending.add(work);
    try {
      const reports = await work;
      if (!reports.length) this.log(`event hub ${hub}: no function listens; ${bodies.length} event(s) dropped`);
      return reports;
    } finally {
      this.#pending.delete(work);
    }
  }

  /** Fire-and-forget publish (output bindings): errors are logged, `idle()` awaits it. */
  post(hub: string, bodies: readonly unknown[]): void {
    void this.publish(hub, bodies).catch((err: unknown) => this.log(`event hub ${hub}: delivery failed: ${String(err)}`));
  }

  async idle(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  async #deliver(def: EventHubTriggerDef, hub: string, partitionId: string, first: number, bodies: readonly unknown[], enqueuedTime?: string): Promise<DeliveryReport> {
    const handler = this.#overrides.get(def.name) ?? def.options.handler;
    const report: DeliveryReport = { hub, functionName: def.name, events: 0, batches: 0, errors: 0 };
    const many = def.options.cardinality === 'many';
    const size = many ? this.batchSize : 1;
    for (let start = 0; start < bodies.length; start += size) {
      const slice = bodies.slice(start, start + size);
      const seqs = slice.map((_, i) => first + start + i);
      const context = eventHubContext(def, hub, partitionId, seqs, enqueuedTime ?? new Date().toISOString(), this.log);
      try {
        const binary = (def.options as { dataType?: string }).dataType === 'binary';
        const delivered = slice.map((b) => asDelivered(b, binary));
        await handler(many ? delivered : delivered[0], context);
        report.events += slice.length;
        report.batches++;
      } catch (err) {
        // The host would retry per the trigger's retry policy; locally we report and move on.
        report.errors++;
        this.log(`[${def.name}] batch at sequence ${seqs[0]} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return report;
  }
}

/** The InvocationContext the host would pass for one batch of `seqs` on a partition (also the bench's worker pass). */
export function eventHubContext(def: EventHubTriggerDef, hub: string, partitionId: string, seqs: number[], now: string, log: Log): InvocationContext {
  const offsets = seqs.map((s) => String(s * 1024));
  return new functions.InvocationContext({
    invocationId: randomUUID(),
    functionName: def.name,
    logHandler: (level, ...args) => log(`[${def.name}] ${level === 'information' ? '' : level + ': '}${args.map(String).join(' ')}`),
    triggerMetadata: {
      partitionContext: { eventHubName: hub, consumerGroup: resolveSetting(def.options.consumerGroup ?? '$Default'), fullyQualifiedNamespace: 'local', partitionId },
      sequenceNumberArray: seqs,
      offsetArray: offsets,
      enqueuedTimeUtcArray: seqs.map(() => now),
      partitionKeyArray: seqs.map(() => null),
      propertiesArray: seqs.map(() => ({})),
      systemPropertiesArray: seqs.map((s, i) => ({ SequenceNumber: s, Offset: offsets[i], EnqueuedTimeUtc: now, PartitionKey: null })),
      // cardinality 'one' shape, harmless for 'many'
      sequenceNumber: seqs[0],
      offset: offsets[0],
      enqueuedTimeUtc: now,
    },
    options: { trigger: { type: 'eventHubTrigger', name: 'eventHubMessages', eventHubName: hub, cardinality: def.options.cardinality ?? 'one' } },
  });
}
