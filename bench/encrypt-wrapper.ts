/**
 * `npx tsx bench/encrypt-wrapper.ts [--fresh] [--rounds 30] [--per 100] [--old <module>]` — the CPU the
 * encryption wrapper (lib/checkpoint/encrypted.ts) adds to one save, isolated from the engine and the backend:
 * the checkpoints one invoke of the peer workload's chain saves (workload.ts) are recorded once, then replayed
 * as new threads into memory stores, plain and wrapped, alternating round by round (order flipped every round).
 * `--fresh` makes the 1 KB string new in every thread (a real seal each save; without it every value repeats
 * across threads and is found in the ring's seal cache, as in bench/encrypt-cost.ts). `--old` adds a third
 * side: `encryptStore` from another copy of encrypted.ts (e.g. `git show REV:lib/checkpoint/encrypted.ts >
 * lib/checkpoint/_encrypted_old.ts`, then `--old ../lib/checkpoint/_encrypted_old.ts`), for a before/after in
 * one process. Reports medians of CPU µs per save (user + system), and each wrapper's difference to plain.
 */
import { randomBytes } from "node:crypto";
import { createKeyring } from "../lib/checkpoint/crypto";
import { encryptStore } from "../lib/checkpoint/encrypted";
import { newCheckpointId } from "../lib/checkpoint/ids";
import { createMemoryStore } from "../lib/checkpoint/memory";
import type { CheckpointStore, NewCheckpoint } from "../lib/checkpoint/types";
import { median } from "./stats";
import { chainGraph } from "./workload";

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? def : argv[i + 1];
};
const fresh = argv.includes("--fresh");
const rounds = Number(arg("rounds", "30"));
const per = Number(arg("per", "100"));
const old = arg("old", "");

// One invoke's saves, as the engine hands them to the store.
const recorded: NewCheckpoint[] = [];
const recorder = await createMemoryStore();
const spy = new Proxy(recorder, {
  get(target, prop, receiver) {
    const v = Reflect.get(target, prop, receiver) as unknown;
    if (prop === "save")
      return (cp: NewCheckpoint, o: Parameters<CheckpointStore["save"]>[1]) => {
        recorded.push(structuredClone(cp));
        return target.save(cp, o);
      };
    return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
  },
});
await chainGraph(spy).invoke({ items: [] }, { threadId: "recorded" });

const key = randomBytes(32).toString("base64");
const sides: Record<string, CheckpointStore> = {
  plain: await createMemoryStore(),
  wrapped: encryptStore(await createMemoryStore(), createKeyring(key)),
};
if (old) {
  const mod = (await import(old)) as { encryptStore: typeof encryptStore };
  sides.old = mod.encryptStore(await createMemoryStore(), createKeyring(key));
}

let n = 0;
/** CPU µs per save over `count` replayed threads. */
async function replay(store: CheckpointStore, count: number): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const threadId = `r-${n++}`;
    let parentId: string | null = null;
    for (const cp of recorded) {
      const state = structuredClone(cp.state);
      if (fresh && typeof state.pad === "string") state.pad = `${threadId}:${state.pad}`;
      parentId = (await store.save({ ...cp, id: newCheckpointId(), threadId, parentId, state, metadata: structuredClone(cp.metadata) })).id;
    }
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (count * recorded.length);
}

const names = Object.keys(sides);
for (const k of names) await replay(sides[k], per * 3); // warm-up
const got: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
for (let r = 0; r < rounds; r++) for (const k of r % 2 ? [...names].reverse() : names) got[k].push(await replay(sides[k], per));
const m = Object.fromEntries(names.map((k) => [k, +median(got[k]).toFixed(1)]));
console.log(
  JSON.stringify({
    fresh,
    savesPerInvoke: recorded.length,
    cpuUsPerSave: m,
    wrapperUsPerSave: Object.fromEntries(names.filter((k) => k !== "plain").map((k) => [k, +(m[k] - m.plain).toFixed(1)])),
  }),
);
