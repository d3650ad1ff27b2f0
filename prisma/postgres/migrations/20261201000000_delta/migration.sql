-- Delta checkpoints (lib/checkpoint/delta.ts, delta-format.ts; the store side is lib/checkpoint/postgres.ts and
-- pg-delta.ts). A checkpoint row now keeps either its full state (a snapshot) or "ops" against "base_id", an
-- ancestor in the same thread, with "depth" its chain label. Mirrors the Checkpoint model of
-- prisma/postgres/schema.prisma.
--
-- New snapshots keep their state as TEXT in "state_text" ("state" NULL): JSONB reorders object keys and drops
-- whitespace, and a rebuilt state must be byte-identical (JSON.stringify) to the one saved. Rows written before
-- this migration keep "state" (JSONB) with the new columns NULL: they are snapshots with label 0, read through
-- "state"::text, and are never rewritten. Every new column is nullable without a default, so adding them does
-- not rewrite the table.

ALTER TABLE "checkpoints" ALTER COLUMN "state" DROP NOT NULL;
ALTER TABLE "checkpoints" ADD COLUMN "state_text" TEXT;
ALTER TABLE "checkpoints" ADD COLUMN "base_id" TEXT;
ALTER TABLE "checkpoints" ADD COLUMN "depth" INTEGER;
ALTER TABLE "checkpoints" ADD COLUMN "ops" TEXT;

-- Rows stored against a checkpoint (the foreign key's own check when a base is deleted, and retention folds).
CREATE INDEX "checkpoints_base_idx" ON "checkpoints"("base_id");

-- A base exists and lives in the same thread, checked by the database at the end of the save statement, after
-- the thread row is locked: a save racing a delete or prune of its base fails on this constraint (and is
-- written again as a snapshot) instead of leaving a row that cannot be rebuilt. NOT VALID: every existing row
-- has "base_id" NULL, so there is nothing to check, and the migration does not scan the table under its lock;
-- new and updated rows are checked all the same.
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_base_fkey" FOREIGN KEY ("thread_id", "base_id")
    REFERENCES "checkpoints"("thread_id", "id") ON DELETE NO ACTION ON UPDATE NO ACTION NOT VALID;
