-- Scheduled runs (lib/server/schedules): a graph run on a cron expression. Mirrors model Schedule in prisma/sqlite/schema.prisma.
CREATE TABLE "schedules" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "graph_id" TEXT NOT NULL,
    "cron" TEXT NOT NULL,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "input" TEXT NOT NULL,
    "thread_id" TEXT,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "created_by" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "next_run_at" DATETIME,
    "last_run_at" DATETIME,
    "last_thread_id" TEXT,
    "last_run_id" TEXT,
    "last_error" TEXT
);
CREATE INDEX "schedules_paused_next_run_at_idx" ON "schedules"("paused", "next_run_at");
