-- Checkpoint summaries (CheckpointStore.listSummaries): the part of a summary that comes from the big JSON
-- columns (interrupts without values, metadata source/actor/reason, the names of the channels the step wrote),
-- computed by `save` (lib/checkpoint/summary.ts summaryExtra) so listing a timeline never reads "state",
-- "pending_writes" or "metadata". Nullable: rows saved before this migration are filled below, and a row
-- written by an older process is computed at read time with the same expression (lib/checkpoint/sqlite.ts).

ALTER TABLE "checkpoints" ADD COLUMN "summary" JSONB;

UPDATE "checkpoints" SET "summary" = json_object(
    'interrupts', json((SELECT json_group_array(json_object('id', i.value ->> 'id', 'node', i.value ->> 'node', 'kind', i.value ->> 'kind') ORDER BY i.key)
                        FROM json_each("checkpoints"."interrupts") AS i)),
    'source', "metadata" ->> 'source',
    'actor', CASE json_type("metadata", '$.actor') WHEN 'text' THEN "metadata" ->> 'actor' END,
    'reason', CASE json_type("metadata", '$.reason') WHEN 'text' THEN "metadata" ->> 'reason' END,
    'channels', json((SELECT json_group_array(w.c ORDER BY w.k) FROM (
                   SELECT e.value ->> 'channel' AS c, MIN(e.key) AS k FROM json_each("checkpoints"."metadata", '$.writes') AS e
                   WHERE json_type(e.value, '$.channel') = 'text' GROUP BY 1) AS w))
) WHERE "summary" IS NULL;

-- A thread's summaries in version order straight from this index (it covers every column listSummaries reads):
-- without it SQLite would walk each row's overflow pages (a big state sits before these columns in the row)
-- just to reach "next", "created_at" and "summary".
CREATE INDEX "checkpoints_summary_idx" ON "checkpoints"("thread_id", "version", "id", "parent_id", "step", "node_name", "next", "created_at", "summary");
