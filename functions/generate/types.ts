// Shapes shared by the generators: a log type is a benign event source, a set of attack
// scenarios, and encoders from its structured event to each output format.
import type { Column } from '../kusto/columns.js';
import type { ByteWriter } from './bytes.js';
import type { Rng } from './prng.js';
import type { Format, LogTypeName, ResolvedRequest } from './request.js';
import type { TimeFormat } from './time.js';

/** Ground truth for one injected scenario. */
export interface ScenarioInfo {
  readonly name: string;
  /** MITRE ATT&CK technique id, e.g. T1110.001 */
  readonly technique: string;
  readonly tactic: string;
  readonly description: string;
}

/** A scenario: ground-truth info plus the steps it injects, each building one event at time t. */
export interface ScenarioDef<E> extends ScenarioInfo {
  steps(rng: Rng, env: GenEnv): ((tUs: number) => E)[];
}

/** Per-dataset environment shared by benign traffic and scenarios (hosts, users, ...). */
export interface GenEnv {
  readonly req: ResolvedRequest;
  readonly rng: Rng;
}

/** Encodes structured events of one log type to text; stateful only for batching (eventhub). */
export interface Encoder<E> {
  readonly contentType: string;
  readonly extension: string;
  /** Text before the first record (CSV header), '' if none. */
  head(): string;
  /** Text for one event; `firstRecordId` is the 1-based id of its first record. */
  event(e: E, firstRecordId: number): string;
  /** The same text written straight into the output, when the encoder has a byte path. */
  write?(e: E, firstRecordId: number, w: ByteWriter): void;
  /** Text after the last event (flushes a partial batch). */
  tail(): string;
}

export interface LogTypeDef<E> {
  readonly name: LogTypeName;
  readonly description: string;
  /** ADX table the csv/jsonl rows fit; null for AKS (bodies go through the pipeline). */
  readonly table: { readonly name: string; readonly columns: readonly Column[] } | null;
  readonly formats: readonly Format[];
  readonly defaultFormat: Format;
  readonly scenarios: readonly ScenarioDef<E>[];
  /** Build the dataset environment (host names, users, ...) from its own stream. */
  env(rng: Rng, req: ResolvedRequest): GenEnv;
  benign(rng: Rng, env: GenEnv, tUs: number): E;
  /**
   * µs per unit of the time the records carry (1000: milliseconds, 1e6: seconds); event
   * times are whole units, so labels give the rows' own times. Default 1.
   */
  timeUnitUs?(req: ResolvedRequest): number;
  /** Records (output lines / table rows) this event contributes. */
  records(e: E): number;
  /** Extra label facts per event (AKS: auditID). */
  labelKeys?(e: E): { auditId?: string };
  encoder(format: Format, req: ResolvedRequest, tf: TimeFormat): Encoder<E>;
}
