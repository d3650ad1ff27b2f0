import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createFileStore, type FileCheckpointStore } from "../../lib/checkpoint/file";
import { describeConformance } from "./suite";

describeConformance("file", {
  create: async () => createFileStore({ dir: await mkdtemp(path.join(os.tmpdir(), "waypoint-file-")) }),
  createSecond: (first) => createFileStore({ dir: (first as FileCheckpointStore).dir }),
  childStore: (store) => ({ module: "lib/checkpoint/file.ts", create: "createFileStore", options: { dir: (store as FileCheckpointStore).dir } }),
  // Garbage where the ops (a delta) or the state (a snapshot) were; the file itself stays readable JSON.
  corruptDelta: async (store, id) => {
    const file = path.join((store as FileCheckpointStore).dir, "checkpoints", `${id}.json`);
    const rec = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    if (typeof rec.ops === "string") rec.ops = '[["log","a",9999]]\n[{"garbage';
    else rec.state = "{not json";
    await writeFile(file, JSON.stringify(rec));
  },
  destroy: async (store) => {
    await store.close();
    await rm((store as FileCheckpointStore).dir, { recursive: true, force: true });
  },
});
