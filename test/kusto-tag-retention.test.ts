// The pipeline tables drop each landing's ingest-by: tag after INGEST_TAG_DAYS (ADX's extent
// tags retention policy): the tags dedupe redeliveries and replays, and kept for good they pile
// up on the extents. The dataset tables keep theirs: their tag is the dataset's own
// idempotency, however late the same request is posted again.
import { describe, expect, it } from 'vitest';
import { run } from '../scripts/commands/kql.js';
import { databaseCommands, INGEST_TAG_DAYS, renderDatabaseScript } from '../functions/kusto/render.js';
import { TABLES } from '../functions/kusto/tables.js';

const tagPolicies = (cmds: { command: string }[]): Map<string, unknown> =>
  new Map(
    cmds.flatMap((c) => {
      const m = c.command.match(/^\.alter table (\w+) policy extent_tags_retention '(.*)'$/);
      return m ? [[m[1]!, JSON.parse(m[2]!)]] : [];
    }),
  );

describe('extent tags retention of ingest-by tags', () => {
  it('each pipeline table drops its ingest-by: tags after INGEST_TAG_DAYS; no dataset table gets the policy', () => {
    const policies = tagPolicies(databaseCommands({ rawLanding: true, streaming: true }));
    const pipeline = TABLES.filter((t) => t.origin === 'pipeline').map((t) => t.name);
    expect([...policies.keys()].sort()).toEqual([...pipeline].sort());
    expect(pipeline).toContain('AksAudit');
    for (const t of pipeline) expect(policies.get(t)).toEqual([{ TagPrefix: 'ingest-by:', RetentionPeriod: `${INGEST_TAG_DAYS}.00:00:00` }]);
  });

  it('the period is an option, and 0 sets no policy', () => {
    expect([...tagPolicies(databaseCommands({ ingestTagDays: 30 })).values()]).toEqual(Array(3).fill([{ TagPrefix: 'ingest-by:', RetentionPeriod: '30.00:00:00' }]));
    expect(tagPolicies(databaseCommands({ ingestTagDays: 0 })).size).toBe(0);
  });

  it('npm run kql -- --ingest-tag-days N renders it; a bad value exits 2', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
    const err = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await run(['--ingest-tag-days', '2'])).toBe(0);
      expect(await run(['--ingest-tag-days', '-1'])).toBe(2);
      expect(await run(['--ingest-tag-days', 'week'])).toBe(2);
    } finally {
      process.stdout.write = write;
      process.stderr.write = err;
    }
    expect(out.join('')).toBe(renderDatabaseScript({ ingestTagDays: 2 }));
  });
});
