import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createFileStore, type FileCheckpointStore } from "../../lib/checkpoint/file";
import { describeConformance } from "./suite";

describeConformance("file", {
  create: async () => createFileStore({ dir: await mkdtemp(path.join(os.tmpdir(), "waypoint-file-")) }),
  createSecond: (first) => createFileStore({ dir: (first as FileCheckpointStore).dir }),
  destroy: async (store) => {
    await store.close();
    await rm((store as FileCheckpointStore).dir, { recursive: true, force: true });
  },
});
