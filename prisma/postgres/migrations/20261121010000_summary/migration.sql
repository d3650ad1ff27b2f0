-- Checkpoint summaries (CheckpointStore.listSummaries): the part of a summary that comes from the big JSONB
-- columns (interrupts without values, metadata source/actor/reason, the names of the channels the step wrote),
-- computed by `save` (lib/checkpoint/summary.ts summaryExtra) so listing a timeline never reads (or detoasts)
-- "state", "pending_writes" or "metadata". Nullable: rows saved before this migration are filled below, and a
-- row written by an older process is computed at read time with the same expression (lib/checkpoint/postgres.ts).

ALTER TABLE "checkpoints" ADD COLUMN "summary" JSONB;

UPDATE "checkpoints" SET "summary" = jsonb_build_object(
    'interrupts', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', x.i -> 'id', 'node', x.i -> 'node', 'kind', x.i -> 'kind') ORDER BY x.n)
                   FROM jsonb_array_elements(CASE jsonb_typeof("interrupts") WHEN 'array' THEN "interrupts" ELSE '[]'::jsonb END)
                     WITH ORDINALITY AS x(i, n)), '[]'::jsonb),
    'source', "metadata" -> 'source',
    'actor', CASE jsonb_typeof("metadata" -> 'actor') WHEN 'string' THEN "metadata" -> 'actor' ELSE 'null'::jsonb END,
    'reason', CASE jsonb_typeof("metadata" -> 'reason') WHEN 'string' THEN "metadata" -> 'reason' ELSE 'null'::jsonb END,
    'channels', COALESCE((SELECT jsonb_agg(w.c ORDER BY w.k) FROM (
                   SELECT y.e ->> 'channel' AS c, MIN(y.n) AS k
                   FROM jsonb_array_elements(CASE jsonb_typeof("metadata" -> 'writes') WHEN 'array' THEN "metadata" -> 'writes' ELSE '[]'::jsonb END)
                     WITH ORDINALITY AS y(e, n)
                   WHERE jsonb_typeof(y.e -> 'channel') = 'string' GROUP BY 1) AS w), '[]'::jsonb)
) WHERE "summary" IS NULL;
