-- Issue 12: subgraph namespaces (LangGraph's checkpoint_ns). A checkpoint belongs to its thread whatever its
-- namespace; '' is the root graph, and only root checkpoints are a thread's head / latest. (appendWrites, the
-- other part of issue 12, needs no schema change: pending writes stay in "pending_writes".)

ALTER TABLE "checkpoints" ADD COLUMN "namespace" TEXT NOT NULL DEFAULT '';

-- Checkpoints the LangGraph saver wrote before this column kept their namespace in metadata.langgraph.ns: move
-- it onto the column (and into the summary, which carries a non-root namespace), then point each affected
-- thread's head at its newest root checkpoint.
UPDATE "checkpoints" SET "namespace" = "metadata" -> 'langgraph' ->> 'ns'
  WHERE jsonb_typeof("metadata" -> 'langgraph' -> 'ns') = 'string' AND "metadata" -> 'langgraph' ->> 'ns' <> '';
UPDATE "checkpoints" SET "summary" = "summary" || jsonb_build_object('namespace', "namespace")
  WHERE "namespace" <> '' AND "summary" IS NOT NULL;
UPDATE "threads" t SET
    "head_checkpoint_id" = (SELECT c."id" FROM "checkpoints" c WHERE c."thread_id" = t."thread_id" AND c."namespace" = '' ORDER BY c."version" DESC LIMIT 1),
    "head_version" = COALESCE((SELECT MAX(c."version") FROM "checkpoints" c WHERE c."thread_id" = t."thread_id" AND c."namespace" = ''), 0)
  WHERE t."thread_id" IN (SELECT "thread_id" FROM "checkpoints" WHERE "namespace" <> '');

-- latest / head / listing one namespace: the newest checkpoints of a thread in one namespace.
CREATE INDEX "checkpoints_thread_ns_version_idx" ON "checkpoints"("thread_id", "namespace", "version");

-- The metadata filter of list / listSummaries (ListOptions.metadata) is a JSONB containment test ("metadata" @> ...);
-- it runs on a thread's rows (found by the thread's index), so no GIN index over every checkpoint is kept.
