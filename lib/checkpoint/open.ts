import type { CheckpointStore } from "./types";

/**
 * Sets a newly constructed store up and returns it; if set-up fails, closes it first (so no pool, connection
 * or file handle outlives the error) and rethrows. Every backend's `createXStore` ends with this.
 */
export async function openStore<S extends CheckpointStore>(store: S): Promise<S> {
  try {
    await store.setup();
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
  return store;
}
