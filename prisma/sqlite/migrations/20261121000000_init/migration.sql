-- Waypoint SQLite store, initial tables. Mirrors prisma/sqlite/schema.prisma.
-- Applied once by lib/checkpoint/migrate.ts inside BEGIN IMMEDIATE and recorded in _waypoint_migrations.

CREATE TABLE "threads" (
    "thread_id" TEXT NOT NULL PRIMARY KEY,
    "graph_id" TEXT,
    "status" TEXT NOT NULL DEFAULT 'idle',
    "head_checkpoint_id" TEXT,
    "head_version" INTEGER NOT NULL DEFAULT 0,
    "last_version" INTEGER NOT NULL DEFAULT 0,
    "checkpoint_count" INTEGER NOT NULL DEFAULT 0,
    "error" JSONB,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);

-- Thread listing: newest first with a (updated_at, thread_id) keyset cursor, optionally by status or graph.
CREATE INDEX "threads_updated_idx" ON "threads"("updated_at" DESC, "thread_id");
CREATE INDEX "threads_status_updated_idx" ON "threads"("status", "updated_at" DESC, "thread_id");
CREATE INDEX "threads_graph_updated_idx" ON "threads"("graph_id", "updated_at" DESC, "thread_id");

CREATE TABLE "checkpoints" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "thread_id" TEXT NOT NULL,
    "parent_id" TEXT,
    "version" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "node_name" TEXT NOT NULL,
    "state" JSONB NOT NULL,
    "next" JSONB NOT NULL,
    "interrupts" JSONB NOT NULL,
    "pending_writes" JSONB NOT NULL,
    "metadata" JSONB NOT NULL,
    "created_at" TEXT NOT NULL
);

-- A thread's history in version order (list/latest) and the uniqueness of store-assigned versions.
CREATE UNIQUE INDEX "checkpoints_thread_version_key" ON "checkpoints"("thread_id", "version");
-- Children of a checkpoint (re-linking on delete).
CREATE INDEX "checkpoints_parent_idx" ON "checkpoints"("parent_id");

CREATE TABLE "thread_locks" (
    "thread_id" TEXT NOT NULL PRIMARY KEY,
    "owner" TEXT NOT NULL,
    "expires_at" BIGINT NOT NULL
);
