import "server-only";
import { isStoreConfigError, isStoreUnavailable, isWaypointError } from "../errors";
import { createStore, storeConfigFromEnv } from "../checkpoint/factory";
import type { CheckpointStore } from "../checkpoint/types";
import { EventBus } from "./events";
import { GraphRegistry } from "./graphs";
import { RunManager } from "./runs";
import { announceFirstAdmin, createAccess, type Access } from "./auth";

/**
 * The process-wide server state: the store chosen by configuration, the compiled graphs, the run manager and
 * the event bus. Kept on globalThis so Next's dev reloads (which re-evaluate modules) reuse it instead of
 * opening a second store and losing track of running runs.
 */
export interface Runtime {
  store: CheckpointStore;
  graphs: GraphRegistry;
  runs: RunManager;
  bus: EventBus;
  access: Access;
}

const KEY = Symbol.for("waypoint.runtime");
type Holder = { [KEY]?: Promise<Runtime> };
const holder = globalThis as unknown as Holder;

async function create(): Promise<Runtime> {
  const store = await createStore(storeConfigFromEnv(process.env));
  await store.setup();
  let access: Access;
  try {
    access = await createAccess(store);
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  const bus = new EventBus();
  const graphs = new GraphRegistry(store);
  const runs = new RunManager(store, graphs, bus);
  console.log(`[waypoint] checkpoint store: ${store.kind}`);
  await announceFirstAdmin(access).catch((err) => console.error(`[waypoint] could not prepare the first-admin link: ${message(err)}`));
  // Threads a killed process left "running" continue by themselves.
  runs.resumeOrphans().catch((err) => console.error(`[waypoint] crash recovery failed: ${message(err)}`));
  return { store, graphs, runs, bus, access };
}

function message(err: unknown): string {
  return isWaypointError(err) || err instanceof Error ? err.message : String(err);
}

/**
 * The runtime, created on first use. A configuration or connection error is printed once as one sentence
 * (no stack trace), answered as 503 to the request, and retried on the next request.
 */
export function getRuntime(): Promise<Runtime> {
  let p = holder[KEY];
  if (!p) {
    p = create();
    holder[KEY] = p;
    p.catch((err) => {
      if (holder[KEY] === p) delete holder[KEY];
      if (isStoreConfigError(err) || isStoreUnavailable(err)) console.error(`[waypoint] ${message(err)}`);
      else console.error("[waypoint] start-up failed:", err);
    });
  }
  return p;
}
