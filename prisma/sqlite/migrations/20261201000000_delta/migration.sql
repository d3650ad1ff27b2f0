-- Delta checkpoints (lib/checkpoint/delta.ts, stored format in lib/checkpoint/delta-format.ts): a row keeps
-- either its full "state" (a snapshot) or "ops" against "base_id", an ancestor in the same thread whose
-- rebuilt state the ops transform into this row's state; "depth" is the row's chain label (0 for a snapshot
-- written as such, parent's label + 1 along the chain).
--
-- SQLite cannot drop NOT NULL from "state" without rebuilding the table, so a delta row stores '' (the empty
-- string, never valid JSON) as its state. Rows written before this migration keep their full state and get
-- NULL in the three new columns: they are snapshots with label 0 and need no rewrite.
--
-- No index on "base_id": rows to fold before a delete or prune are found among the thread's own rows (the
-- (thread_id, version) index), so saves do not pay for one more index.

ALTER TABLE "checkpoints" ADD COLUMN "base_id" TEXT;
ALTER TABLE "checkpoints" ADD COLUMN "depth" INTEGER;
ALTER TABLE "checkpoints" ADD COLUMN "ops" TEXT;
