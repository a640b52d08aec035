// Rows landed twice after a rebalance (other batch boundaries → other ingest-by tags) collapse
// in the `<Table>Unique` materialized views; the emulator path leaves them out.
import { describe, expect, it } from 'vitest';
import { databaseCommands } from '../functions/kusto/render.js';
import { TABLES } from '../functions/kusto/tables.js';

const views = (opts = {}) => databaseCommands(opts).filter((c) => c.kind === 'view');

describe('deduplicating materialized views', () => {
  it('one per pipeline table, keyed by columns of that table, after the table exists', () => {
    const cmds = databaseCommands();
    const pipeline = TABLES.filter((t) => t.origin === 'pipeline');
    expect(views().map((v) => v.name)).toEqual(pipeline.map((t) => `${t.name}Unique`));
    for (const t of pipeline) {
      const keys = t.uniqueBy ?? [];
      expect(keys.length, t.name).toBeGreaterThan(0);
      for (const k of keys) expect(t.columns.map((c) => c.name), `${t.name}.${k}`).toContain(k);
      const view = cmds.findIndex((c) => c.name === `${t.name}Unique`);
      expect(view).toBeGreaterThan(cmds.findIndex((c) => c.kind === 'table' && c.name === t.name));
      expect(cmds[view]!.command).toContain(`on table ${t.name}\n`);
      expect(cmds[view]!.command).toContain(`| summarize take_any(*) by ${keys.join(', ')}\n}`);
      // Re-running the script must not fail on an existing view (a database script reruns on every deploy).
      expect(cmds[view]!.command.startsWith('.create ifnotexists materialized-view')).toBe(true);
    }
    expect(TABLES.find((t) => t.name === 'AksAudit')!.uniqueBy).toEqual(['AuditId', 'Stage']);
  });

  it('are left out for the Kusto emulator', () => {
    expect(views({ noUniqueViews: true })).toEqual([]);
    expect(databaseCommands({ noUniqueViews: true })).toHaveLength(databaseCommands().length - 3);
  });
});
