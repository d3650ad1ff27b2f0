import type { CheckpointStore, ThreadStatus } from "../checkpoint/types";
import { selectThreads, type ThreadSelection } from "./archive";

export interface GraphStats {
  graphId: string;
  threads: number;
  checkpoints: number;
  /** Stored bytes, as `storage()` measures them (docs/storage.md). */
  bytes: number;
  byStatus: Partial<Record<ThreadStatus, number>>;
}

export interface StoreStats {
  store: string;
  threads: number;
  checkpoints: number;
  bytes: number;
  graphs: GraphStats[];
}

/** `waypoint stats`: threads, checkpoints and bytes per graph (and by status), from the store's own accounting. */
export async function storeStats(store: CheckpointStore, sel: ThreadSelection = {}): Promise<StoreStats> {
  const graphs = new Map<string, GraphStats>();
  const out: StoreStats = { store: store.kind, threads: 0, checkpoints: 0, bytes: 0, graphs: [] };
  for await (const t of selectThreads(store, sel)) {
    const id = t.graphId ?? "(none)";
    const g = graphs.get(id) ?? { graphId: id, threads: 0, checkpoints: 0, bytes: 0, byStatus: {} };
    graphs.set(id, g);
    const bytes = t.checkpointCount > 0 ? (await store.storage(t.threadId)).bytes : 0;
    g.threads++;
    g.checkpoints += t.checkpointCount;
    g.bytes += bytes;
    g.byStatus[t.status] = (g.byStatus[t.status] ?? 0) + 1;
    out.threads++;
    out.checkpoints += t.checkpointCount;
    out.bytes += bytes;
  }
  out.graphs = [...graphs.values()].sort((a, b) => b.bytes - a.bytes);
  return out;
}
