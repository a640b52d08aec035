// Verifone POS terminals of a small retail chain: sales, refunds, voids, operator sign-on
// and sign-off, host-link heartbeats (no settlement batches). Scenarios: POS operator auth failures (brute force on a terminal
// PIN pad / manager override) and card testing (bursts of small declined card-not-present sales).
import { VerifonePosColumns } from '../../kusto/datasetTables.js';
import { posLine } from '../encoders/verifone.js';
import { tableEncoder } from '../encoders/table.js';
import type { Rng } from '../prng.js';
import type { GenEnv, LogTypeDef, ScenarioDef } from '../types.js';

export interface PosEvent {
  t: number;
  severity: 'INFO' | 'WARN' | 'ERROR';
  store: string;
  terminal: string;
  model: string;
  serial: string;
  type: string;
  operator: string;
  txn: string;
  amount: number | null;
  currency: string;
  brand: string;
  pan: string;
  entry: string;
  rc: string;
  result: string;
  auth: string;
  message: string;
}

interface Terminal {
  store: string;
  terminal: string;
  model: string;
  serial: string;
  operators: string[];
  /** The store's manager: signs on for overrides (refunds, voids), as in the attack. */
  manager: string;
}

interface PosEnv extends GenEnv {
  terminals: Terminal[];
  txn: () => string;
}

const MODELS = ['MX915', 'MX925', 'P400', 'M400', 'V400m', 'Carbon 10'] as const;
/**
 * Card brands: share of sales, PAN length and issuer prefixes (IIN ranges, inclusive) as the
 * brands publish them — AMEX 34/37 with 15 digits, Mastercard 51-55 and the 2-series
 * 2221-2720. `stars` masks the middle so first 6 + last 4 stay visible (PCI DSS).
 */
const BRANDS = [
  { brand: 'VISA', share: 50, length: 16, iins: [[4, 4]] },
  { brand: 'MASTERCARD', share: 35, length: 16, iins: [[51, 55], [2221, 2720]] },
  { brand: 'AMEX', share: 8, length: 15, iins: [[34, 34], [37, 37]] },
  { brand: 'DISCOVER', share: 7, length: 16, iins: [[6011, 6011], [644, 649], [65, 65]] },
].map((b) => ({ ...b, stars: '*'.repeat(b.length - 10) }));
const DECLINES = [['05', 'Do not honor'], ['51', 'Insufficient funds'], ['54', 'Expired card'], ['55', 'Incorrect PIN']] as const;

// Weight tables built once (rng.weighted caches each table's total by identity).
const BRAND_WEIGHTS = BRANDS.map((b) => [b, b.share] as const);
const ENTRY_MODES = [['CHIP', 45], ['CONTACTLESS', 45], ['SWIPE', 8], ['MANUAL', 2]] as const;

function card(rng: Rng): { brand: string; pan: string } {
  const b = rng.weighted(BRAND_WEIGHTS);
  const [lo, hi] = rng.pick(b.iins) as [number, number];
  const iin = String(rng.range(lo, hi));
  // The rest of the first six digits, any value.
  const rest = String(rng.range(0, 10 ** (6 - iin.length) - 1)).padStart(6 - iin.length, '0');
  return { brand: b.brand, pan: `${iin}${rest}${b.stars}${String(rng.range(0, 9999)).padStart(4, '0')}` };
}

const base = (t: number, term: Terminal, type: string, operator: string): PosEvent => ({
  t, severity: 'INFO', store: term.store, terminal: term.terminal, model: term.model, serial: term.serial, type, operator,
  txn: '', amount: null, currency: '', brand: '', pan: '', entry: '', rc: '', result: 'OK', auth: '', message: '',
});

const MANAGER_PIN_REFUSED = 'Invalid manager override PIN';
const OPERATOR_PIN_REFUSED = 'Invalid operator PIN';
/** A refused PIN at sign-on, the same line whoever types it (a cashier, a manager, a guesser). */
const loginFailed = (t: number, term: Terminal, operator: string, message: string): PosEvent => ({ ...base(t, term, 'LOGIN_FAILED', operator), severity: 'WARN', result: 'FAILED', message });

/** Declines a keyed card can get: no PIN is entered on a keyed (card-not-present) sale. */
const KEYED_DECLINES = DECLINES.filter(([rc]) => rc !== '55');

function sale(rng: Rng, env: PosEnv, t: number, term: Terminal, type: 'SALE' | 'REFUND' | 'VOID', approved: boolean, amount: number, entry: string, operator: string): PosEvent {
  const c = card(rng);
  const decline = rng.pick(entry === 'MANUAL' ? KEYED_DECLINES : DECLINES);
  return {
    ...base(t, term, type, operator), severity: approved ? 'INFO' : 'WARN', txn: env.txn(), amount, currency: 'USD', brand: c.brand, pan: c.pan, entry,
    rc: approved ? '00' : decline[0], result: approved ? 'APPROVED' : 'DECLINED', auth: approved ? rng.hex(6).toUpperCase() : '', message: approved ? 'Approved' : decline[1],
  };
}

const cents = (rng: Rng, lo: number, hi: number): number => rng.range(lo * 100, hi * 100) / 100;

/** A basket: mostly 1–180, now and then a few cents (gum, a parking ticket) or a big-ticket item. */
function saleAmount(rng: Rng): number {
  const r = rng.float();
  return r < 0.03 ? cents(rng, 0.25, 1) : r < 0.06 ? cents(rng, 250, 1500) : cents(rng, 1, 180);
}

const BENIGN: readonly (readonly [(rng: Rng, e: PosEnv, t: number) => PosEvent, number])[] = [
  [(rng, e, t) => {
    const term = rng.pick(e.terminals);
    return sale(rng, e, t, term, 'SALE', rng.chance(0.96), saleAmount(rng), rng.weighted(ENTRY_MODES), rng.pick(term.operators));
  }, 30],
  [(rng, e, t) => {
    // Refunds need the manager's override; one without the card (a receipt) is keyed.
    const term = rng.pick(e.terminals);
    const keyed = rng.chance(0.15);
    const refund = sale(rng, e, t, term, 'REFUND', true, rng.chance(0.06) ? cents(rng, 250, 1200) : cents(rng, 3, 250), keyed ? 'MANUAL' : 'CHIP', term.manager);
    return keyed ? { ...refund, message: 'Approved, keyed refund' } : refund;
  }, 1],
  [(rng, e, t) => {
    const term = rng.pick(e.terminals);
    return { ...base(t, term, 'LOGIN', term.manager), message: 'Manager override accepted' };
  }, 0.6],
  [(rng, e, t) => {
    const term = rng.pick(e.terminals);
    return loginFailed(t, term, term.manager, MANAGER_PIN_REFUSED);
  }, 0.05],
  [(rng, e, t) => {
    // Phone orders keyed by a cashier, as a card-not-present sale.
    const term = rng.pick(e.terminals);
    return sale(rng, e, t, term, 'SALE', rng.chance(0.9), cents(rng, 5, 220), 'MANUAL', rng.pick(term.operators));
  }, 0.6],
  [(rng, e, t) => {
    const term = rng.pick(e.terminals);
    return sale(rng, e, t, term, 'VOID', true, cents(rng, 1, 60), 'CHIP', rng.pick(term.operators));
  }, 1],
  [(rng, e, t) => {
    const term = rng.pick(e.terminals);
    return { ...base(t, term, 'LOGIN', rng.pick(term.operators)), message: 'Operator signed on' };
  }, 2],
  [(rng, e, t) => {
    const term = rng.pick(e.terminals);
    return { ...base(t, term, 'LOGOUT', rng.pick(term.operators)), message: 'Operator signed off' };
  }, 2],
  [(rng, e, t) => {
    const term = rng.pick(e.terminals);
    return loginFailed(t, term, rng.pick(term.operators), OPERATOR_PIN_REFUSED);
  }, 0.3],
  [(rng, e, t) => {
    const term = rng.pick(e.terminals);
    return { ...base(t, term, 'HEARTBEAT', ''), message: `Host link up, latency ${rng.range(40, 300)} ms` };
  }, 3],
];

const SCENARIOS: readonly ScenarioDef<PosEvent>[] = [
  {
    name: 'pos-auth-failures',
    technique: 'T1110.001',
    tactic: 'Credential Access',
    description: 'Someone at one terminal tries many operator/manager PINs, gets locked out, then signs on as the manager and issues refunds to a card',
    steps(rng, env) {
      const e = env as PosEnv;
      const term = rng.pick(e.terminals);
      const manager = term.manager;
      const steps: ((t: number) => PosEvent)[] = [];
      const n = rng.range(15, 25);
      for (let i = 0; i < n; i++) {
        const op = i % 3 === 0 ? manager : `C${rng.range(1000, 1999)}`;
        steps.push((t) => loginFailed(t, term, op, i % 3 === 0 ? MANAGER_PIN_REFUSED : OPERATOR_PIN_REFUSED));
      }
      steps.push((t) => ({ ...base(t, term, 'LOCKOUT', manager), severity: 'ERROR', result: 'FAILED', message: 'Terminal locked: too many failed PIN entries' }));
      steps.push((t) => ({ ...base(t, term, 'LOGIN', manager), message: 'Manager override accepted' }));
      for (let i = 0; i < 3; i++) {
        const amount = cents(rng, 400, 900);
        steps.push((t) => ({ ...sale(rng, e, t, term, 'REFUND', true, amount, 'MANUAL', manager), message: 'Approved, keyed refund' }));
      }
      return steps;
    },
  },
  {
    name: 'card-testing',
    technique: 'T1657',
    tactic: 'Impact',
    description: 'A burst of tiny keyed sales with different cards on one terminal, most declined: stolen cards being tested',
    steps(rng, env) {
      const e = env as PosEnv;
      const term = rng.pick(e.terminals);
      const operator = rng.pick(term.operators);
      return Array.from({ length: 30 }, () => {
        const ok = rng.chance(0.15);
        const amount = cents(rng, 0, 2) || 0.5;
        // Keyed on a terminal left signed on: its cashier's session, as a phone order is.
        return (t: number) => sale(rng, e, t, term, 'SALE', ok, amount, 'MANUAL', operator);
      });
    },
  },
];

export const verifone: LogTypeDef<PosEvent> = {
  name: 'verifone',
  description: 'Verifone POS terminal events (sales, refunds, voids, operator sign-on, heartbeats) as key=value lines',
  table: { name: 'VerifonePOSLogs', columns: VerifonePosColumns },
  formats: ['raw', 'csv', 'jsonl'],
  defaultFormat: 'raw',
  scenarios: SCENARIOS,
  env(rng, req): PosEnv {
    const terminals: Terminal[] = [];
    for (let s = 0; s < 4; s++) {
      const store = String(rng.range(100, 999)).padStart(4, '0');
      const manager = `M${rng.range(100, 999)}`;
      for (let k = 1; k <= 3; k++)
        terminals.push({ store, terminal: `${store}-${String(k).padStart(2, '0')}`, model: rng.pick(MODELS), serial: `${rng.range(100, 999)}-${rng.range(100, 999)}-${rng.range(100, 999)}`, operators: Array.from({ length: 3 }, () => `C${rng.range(1000, 1999)}`), manager });
    }
    let seq = rng.range(1, 1_000_000);
    return { req, rng, terminals, txn: () => String(++seq).padStart(10, '0') };
  },
  benign(rng, env, t) {
    return rng.weighted(BENIGN)(rng, env as PosEnv, t);
  },
  timeUnitUs: () => 1000,
  records: () => 1,
  encoder(format, _req, tf) {
    return tableEncoder<PosEvent>(format, {
      columns: VerifonePosColumns,
      raw: (e) =>
        posLine(tf.iso(e.t, 3), e.severity, e.store, e.terminal, [
          ['MODEL', e.model], ['SN', e.serial], ['EVT', e.type], ['OPER', e.operator], ['TXN', e.txn], ['AMT', e.amount === null ? null : e.amount.toFixed(2)], ['CUR', e.currency],
          ['BRAND', e.brand], ['PAN', e.pan], ['ENTRY', e.entry], ['RC', e.rc], ['RESULT', e.result], ['AUTH', e.auth], ['MSG', e.message],
        ]) + '\n',
      rows: (e, id) => [[
        tf.iso(e.t, 3), id, e.store, e.terminal, e.model, e.serial, e.type, e.operator, e.txn, e.amount, e.currency, e.brand, e.pan, e.entry, e.rc, e.result, e.auth, e.message,
      ]],
    });
  },
};
