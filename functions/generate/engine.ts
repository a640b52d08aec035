// Turns a resolved request into a time-ordered stream of events: benign traffic with the
// requested scenarios injected at planned positions. Every random choice comes from a
// stream forked off the request seed by name, so the benign stream, the clock and each
// scenario are independent of one another.
import { Rng } from './prng.js';
import type { ResolvedRequest } from './request.js';
import { Clock, isoToUs } from './time.js';
import type { LogTypeDef, ScenarioInfo } from './types.js';

export interface Emitted<E> {
  event: E;
  /** The scenario that injected this event; null for benign traffic. */
  scenario: ScenarioInfo | null;
}

/** µs per unit of the time a log type's records carry for this request (1: microseconds). */
export const timeUnitOf = <E>(def: LogTypeDef<E>, req: ResolvedRequest): number => def.timeUnitUs?.(req) ?? 1;

export class PlanError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'PlanError';
  }
}

interface Slot<E> {
  scenario: ScenarioInfo;
  build: (tUs: number) => E;
}

/**
 * Scenario steps go to fixed indices: the index space is cut into one segment per scenario
 * and each scenario lands at a random offset of its segment with a random stride of 1-3,
 * so benign events interleave with the attack. Fails when `count` cannot hold the steps.
 */
export function planScenarios<E>(def: LogTypeDef<E>, req: ResolvedRequest, env: ReturnType<LogTypeDef<E>['env']>): Map<number, Slot<E>> {
  const plan = new Map<number, Slot<E>>();
  if (req.scenarios.length === 0) return plan;
  const segment = Math.floor(req.count / req.scenarios.length);
  const root = new Rng(req.seed, `scenario`);
  let needed = 0;
  const built = req.scenarios.map((name) => {
    const sc = def.scenarios.find((s) => s.name === name);
    if (!sc) throw new PlanError('scenarios', `unknown scenario ${name} for ${def.name}`);
    const steps = sc.steps(root.fork(name), env);
    needed += steps.length;
    return { sc, steps };
  });
  if (built.some((b) => b.steps.length > segment))
    throw new PlanError('count', `count ${req.count} is too small for scenarios ${req.scenarios.join(', ')}: need at least ${Math.max(...built.map((b) => b.steps.length)) * req.scenarios.length} (${needed} attack events)`);
  built.forEach(({ sc, steps }, k) => {
    const rng = root.fork(`${sc.name}/placement`);
    const stride = Math.max(1, Math.min(rng.range(1, 3), Math.floor(segment / steps.length)));
    const span = (steps.length - 1) * stride + 1;
    const offset = k * segment + rng.int(segment - span + 1);
    steps.forEach((build, i) => plan.set(offset + i * stride, { scenario: sc, build }));
  });
  return plan;
}

/**
 * The events of a dataset, in time order, one `next()` at a time: lazy, so memory stays flat
 * whatever the count. `scenario` is the scenario that injected the event last returned
 * (null for benign traffic). A plain iterator object rather than a generator: the writer
 * calls it once per line, and a generator's resume plus a result object per event showed.
 */
export class EventStream<E> {
  /** The scenario of the event last returned by next(); null for benign traffic. */
  scenario: ScenarioInfo | null = null;
  private i = 0;
  private readonly env: ReturnType<LogTypeDef<E>['env']>;
  private readonly plan: Map<number, Slot<E>>;
  private readonly rng: Rng;
  private readonly clock: Clock;

  constructor(
    private readonly def: LogTypeDef<E>,
    private readonly req: ResolvedRequest,
  ) {
    this.env = def.env(new Rng(req.seed, 'env'), req);
    this.plan = planScenarios(def, req, this.env);
    this.rng = new Rng(req.seed, 'benign');
    this.clock = new Clock(
      {
        startUs: isoToUs(req.start),
        ...(req.end !== null ? { endUs: isoToUs(req.end) } : {}),
        ...(req.rate !== null ? { rate: req.rate } : {}),
        count: req.count,
        unitUs: timeUnitOf(def, req),
      },
      new Rng(req.seed, 'clock'),
    );
  }

  /** The next event, or undefined after the last. */
  next(): E | undefined {
    const i = this.i;
    if (i >= this.req.count) return undefined;
    this.i = i + 1;
    const t = this.clock.next();
    const slot = this.plan.size === 0 ? undefined : this.plan.get(i);
    if (slot) {
      this.scenario = slot.scenario;
      return slot.build(t);
    }
    this.scenario = null;
    return this.def.benign(this.rng, this.env, t);
  }
}

/** The events of a dataset, in time order. Lazy: memory stays flat whatever the count. */
export function* events<E>(def: LogTypeDef<E>, req: ResolvedRequest): Generator<Emitted<E>> {
  const stream = new EventStream(def, req);
  for (let event = stream.next(); event !== undefined; event = stream.next()) yield { event, scenario: stream.scenario };
}
