-- Issue 12: subgraph namespaces (LangGraph's checkpoint_ns). A checkpoint belongs to its thread whatever its
-- namespace; '' is the root graph, and only root checkpoints are a thread's head / latest. (appendWrites, the
-- other part of issue 12, needs no schema change: pending writes stay in "pending_writes".)

ALTER TABLE "checkpoints" ADD COLUMN "namespace" TEXT NOT NULL DEFAULT '';

-- Checkpoints the LangGraph saver wrote before this column kept their namespace in metadata.langgraph.ns: move
-- it onto the column (and into the summary, which carries a non-root namespace), then point each affected
-- thread's head at its newest root checkpoint.
UPDATE "checkpoints" SET "namespace" = json_extract("metadata", '$.langgraph.ns')
  WHERE json_type("metadata", '$.langgraph.ns') = 'text' AND json_extract("metadata", '$.langgraph.ns') <> '';
UPDATE "checkpoints" SET "summary" = json_set("summary", '$.namespace', "namespace")
  WHERE "namespace" <> '' AND "summary" IS NOT NULL;
UPDATE "threads" SET
    "head_checkpoint_id" = (SELECT c."id" FROM "checkpoints" c WHERE c."thread_id" = "threads"."thread_id" AND c."namespace" = '' ORDER BY c."version" DESC LIMIT 1),
    "head_version" = COALESCE((SELECT MAX(c."version") FROM "checkpoints" c WHERE c."thread_id" = "threads"."thread_id" AND c."namespace" = ''), 0)
  WHERE "thread_id" IN (SELECT "thread_id" FROM "checkpoints" WHERE "namespace" <> '');

-- latest / head: the newest checkpoint of a thread in one namespace.
CREATE INDEX "checkpoints_thread_ns_version_idx" ON "checkpoints"("thread_id", "namespace", "version");

-- listSummaries may filter by namespace: the covering index gets the column, so it still never reads a row.
DROP INDEX "checkpoints_summary_idx";
CREATE INDEX "checkpoints_summary_idx" ON "checkpoints"("thread_id", "version", "id", "parent_id", "step", "node_name", "next", "created_at", "summary", "namespace");
