import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { createMemoryStore } from "@/lib/checkpoint/memory";
import { createFileStore } from "@/lib/checkpoint/file";

/** The stores every engine behaviour is tested against (the server-backed ones are covered by the conformance suite). */
export const engineStores: { name: string; create(): Promise<{ store: CheckpointStore; dispose(): Promise<void> }> }[] = [
  {
    name: "memory",
    async create() {
      const store = await createMemoryStore();
      return { store, dispose: () => store.close() };
    },
  },
  {
    name: "file",
    async create() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-engine-"));
      const store = await createFileStore({ dir });
      return {
        store,
        dispose: async () => {
          await store.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];
