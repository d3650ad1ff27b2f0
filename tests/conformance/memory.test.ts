import { createMemoryStore, type MemoryCheckpointStore } from "../../lib/checkpoint/memory";
import { describeConformance } from "./suite";

describeConformance("memory", {
  create: () => createMemoryStore(),
  createSecond: (first) => createMemoryStore({ backing: (first as MemoryCheckpointStore).backing }),
  destroy: (store) => store.close(),
});
