import { createMemoryStore, type MemoryCheckpointStore } from "../../lib/checkpoint/memory";
import { describeConformance } from "./suite";

describeConformance("memory", {
  create: () => createMemoryStore(),
  createSecond: (first) => createMemoryStore({ backing: (first as MemoryCheckpointStore).backing }),
  corruptDelta: async (store, id) => {
    const entry = (store as MemoryCheckpointStore).backing.checkpoints.get(id)!.entry;
    if (entry.ops !== null) entry.ops = '[["log","a",9999]]\n[{"garbage';
    else entry.state = "{not json";
  },
  destroy: (store) => store.close(),
});
