import { WaypointError } from "../../errors";
import type { StoreConfig } from "../../checkpoint/factory";
import type { RunQueue } from "./types";

/**
 * The queue that goes with the store: pg-boss on PostgreSQL, BullMQ on Redis — the queue lives where the
 * checkpoints already do, so handing runs to workers needs no other service. Other stores have none: their
 * runs execute in the web process (WAYPOINT_EXECUTE=local), as they always have.
 */
export async function openQueue(
  config: StoreConfig,
  opts: { lockMs: number; expireInSeconds: number; poolSize: number; worker?: boolean },
): Promise<RunQueue> {
  if (config.kind === "postgres") {
    const { openPgBoss } = await import("./pgboss");
    return openPgBoss(config.url, { expireInSeconds: opts.expireInSeconds, poolSize: opts.poolSize, timekeeper: opts.worker });
  }
  if (config.kind === "redis") {
    const { openBullMq } = await import("./bullmq");
    return openBullMq(config.url, { prefix: config.prefix ?? "waypoint:", lockMs: opts.lockMs });
  }
  throw new WaypointError(
    "STORE_CONFIG",
    `Workers need a shared store with a queue: set CHECKPOINT_STORE=postgres or redis (it is ${config.kind}), or run with WAYPOINT_EXECUTE=local.`,
  );
}
