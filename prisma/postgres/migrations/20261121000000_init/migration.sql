-- Waypoint PostgreSQL store, initial tables. Mirrors prisma/postgres/schema.prisma.
-- Applied once by lib/checkpoint/migrate.ts in one transaction under an advisory lock, recorded in
-- _waypoint_migrations.

CREATE TABLE "threads" (
    "thread_id" TEXT NOT NULL,
    "graph_id" TEXT,
    "status" TEXT NOT NULL DEFAULT 'idle',
    "head_checkpoint_id" TEXT,
    "head_version" INTEGER NOT NULL DEFAULT 0,
    "last_version" INTEGER NOT NULL DEFAULT 0,
    "checkpoint_count" INTEGER NOT NULL DEFAULT 0,
    "error" JSONB,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "threads_pkey" PRIMARY KEY ("thread_id")
);

-- Thread listing: newest first with a (updated_at, thread_id) keyset cursor, optionally by status or graph.
CREATE INDEX "threads_updated_idx" ON "threads"("updated_at" DESC, "thread_id");
CREATE INDEX "threads_status_updated_idx" ON "threads"("status", "updated_at" DESC, "thread_id");
CREATE INDEX "threads_graph_updated_idx" ON "threads"("graph_id", "updated_at" DESC, "thread_id");

CREATE TABLE "checkpoints" (
    "id" TEXT NOT NULL,
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
    "created_at" TEXT NOT NULL,

    CONSTRAINT "checkpoints_pkey" PRIMARY KEY ("id")
);

-- A thread's history in version order (list/latest) and the uniqueness of store-assigned versions.
CREATE UNIQUE INDEX "checkpoints_thread_version_key" ON "checkpoints"("thread_id", "version");
-- Target of the parent foreign key below (a parent must be in the same thread).
CREATE UNIQUE INDEX "checkpoints_thread_id_key" ON "checkpoints"("thread_id", "id");
-- Children of a checkpoint (re-linking on delete, and the foreign key's own check).
CREATE INDEX "checkpoints_parent_idx" ON "checkpoints"("parent_id");

ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_parent_fkey" FOREIGN KEY ("thread_id", "parent_id")
    REFERENCES "checkpoints"("thread_id", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

CREATE TABLE "thread_locks" (
    "thread_id" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "thread_locks_pkey" PRIMARY KEY ("thread_id")
);
