import "server-only";
import type { CheckpointStore } from "../../checkpoint/types";
import { createStore, DEFAULT_SQLITE_URL } from "../../checkpoint/factory";
import type { PrismaClient } from "../../generated/sqlite/client";
import { WaypointError } from "../../errors";

/**
 * The accounts database: users, sessions, API tokens, the audit trail, quorum approvals, settings.
 *
 * It is the checkpoint store's own database when that is SQLite or PostgreSQL (one Prisma client, one file or
 * one schema, so an operator backs up one thing). With the Redis, file or memory stores, accounts live in the
 * SQLite file named by `DATABASE_URL` (default the embedded `data/waypoint.db`), or in PostgreSQL when
 * `DATABASE_URL` is a postgres URL. Tables come from the same committed migrations as the stores'.
 *
 * Both generated clients have the same models; the SQLite client's type stands for both.
 */
export interface AccountsDb {
  prisma: PrismaClient;
  provider: "sqlite" | "postgresql";
  /** Closes what this module opened (not a store it borrowed). */
  close(): Promise<void>;
}

type PrismaStore = CheckpointStore & { getPrisma(): Promise<unknown> };
const hasPrisma = (s: CheckpointStore): s is PrismaStore => typeof (s as Partial<PrismaStore>).getPrisma === "function";

export async function openAccountsDb(store: CheckpointStore, env: NodeJS.ProcessEnv = process.env): Promise<AccountsDb> {
  if ((store.kind === "sqlite" || store.kind === "postgres") && hasPrisma(store)) {
    const prisma = (await store.getPrisma()) as PrismaClient;
    return { prisma, provider: store.kind === "sqlite" ? "sqlite" : "postgresql", close: async () => {} };
  }
  const url = env.DATABASE_URL?.trim() || DEFAULT_SQLITE_URL;
  const kind = /^postgres(ql)?:/.test(url) ? "postgres" : url.startsWith("file:") ? "sqlite" : null;
  if (!kind)
    throw new WaypointError(
      "STORE_CONFIG",
      `DATABASE_URL must be a SQLite file URL (${DEFAULT_SQLITE_URL}) or a postgresql:// URL for the accounts database when CHECKPOINT_STORE is ${store.kind}.`,
    );
  // The store implementation opens the database, applies the migrations and owns the Prisma client.
  const own = await createStore(kind === "sqlite" ? { kind, url } : { kind, url });
  await own.setup();
  if (!hasPrisma(own)) throw new WaypointError("STORE_CONFIG", "The accounts database has no Prisma client.");
  return { prisma: (await own.getPrisma()) as PrismaClient, provider: kind === "sqlite" ? "sqlite" : "postgresql", close: () => own.close() };
}
