import "server-only";
import { isWaypointError } from "../errors";
import { storeConfigFromEnv } from "../checkpoint/factory";
import { json } from "./http";
import { getRuntime } from "./runtime";
import type { ApiHealth } from "../api/responses";
import { errFields, log } from "./log";

/**
 * `GET /api/health`: 200 `{ ok: true, store }` when the store answers a read; 503
 * `{ ok: false, store, error: { code, message } }` when it does not (within WAYPOINT_STORE_TIMEOUT_MS plus a
 * margin) or is misconfigured, so a load balancer or the dashboard's banner can tell the store is down.
 */
export async function health(): Promise<Response> {
  let kind = "unknown";
  try {
    kind = storeConfigFromEnv(process.env).kind;
    const rt = await getRuntime();
    await rt.store.listThreads({ limit: 1 });
    const up: ApiHealth = { ok: true, store: rt.store.kind };
    return json(up);
  } catch (err) {
    const known = isWaypointError(err) && (err.code === "STORE_UNAVAILABLE" || err.code === "STORE_CONFIG");
    if (!known) log().error(errFields(err), "health check failed");
    const error = known ? { code: err.code, message: err.message } : { code: "INTERNAL", message: "Internal error; see the server log." };
    const down: ApiHealth = { ok: false, store: kind, error };
    return json(down, 503);
  }
}
