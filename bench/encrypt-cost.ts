/**
 * `npx tsx bench/encrypt-cost.ts [--stores memory,sqlite] [--rounds 10] [--per 20]` — what encryption at rest
 * (lib/checkpoint/crypto.ts) costs per step: the peer workload's 10-node chain (workload.ts) invoked on two
 * stores of the same backend in one process, one plain and one with a key, alternating round by round (the
 * order flips every round). Reports, per backend, the medians of wall time and of this process's CPU time
 * (user + system, steadier than wall time on a shared machine) per step, their ratios (encrypted ÷ plain), and
 * the bytes one thread occupies (`storage`). SQLite in temp folders; nothing else is touched.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createKeyring } from "../lib/checkpoint/crypto";
import { createStore } from "../lib/checkpoint/factory";
import type { CheckpointStore } from "../lib/checkpoint/types";
import { median } from "./stats";
import { chainGraph } from "./workload";

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? def : argv[i + 1];
};
const stores = arg("stores", "memory,sqlite").split(",").filter(Boolean);
const rounds = Number(arg("rounds", "10"));
const per = Number(arg("per", "20"));

type Side = "plain" | "encrypted";

async function open(kind: string, side: Side) {
  const keyring = side === "encrypted" ? createKeyring(randomBytes(32).toString("base64")) : null;
  let dir = "";
  let store: CheckpointStore;
  if (kind === "sqlite") {
    dir = mkdtempSync(path.join(os.tmpdir(), "waypoint-enc-"));
    store = await createStore({ kind: "sqlite", url: `file:${path.join(dir, "b.db")}`, keyring });
  } else store = await createStore({ kind: kind as "memory", keyring });
  await store.setup();
  const g = chainGraph(store);
  return {
    store,
    invoke: (threadId: string) => g.invoke({ items: [] }, { threadId }),
    dispose: async () => {
      await store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

for (const kind of stores) {
  const sides = { plain: await open(kind, "plain"), encrypted: await open(kind, "encrypted") };
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  let n = 0;
  const last: Record<Side, string> = { plain: "", encrypted: "" };
  /** Wall and CPU microseconds per step over `count` invokes of 10 steps. */
  const round = async (side: Side, count: number) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await sides[side].invoke((last[side] = `enc-${tag}-${n++}`));
    const c = process.cpuUsage(c0);
    return { wall: ((performance.now() - t0) * 1000) / (count * 10), cpu: (c.user + c.system) / (count * 10) };
  };
  await round("plain", 10); // warm-up: JIT, prepared statements
  await round("encrypted", 10);
  const got: Record<Side, { wall: number[]; cpu: number[] }> = { plain: { wall: [], cpu: [] }, encrypted: { wall: [], cpu: [] } };
  const wallRatio: number[] = [];
  const cpuRatio: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const one: Partial<Record<Side, { wall: number; cpu: number }>> = {};
    for (const side of (r % 2 ? ["encrypted", "plain"] : ["plain", "encrypted"]) as Side[]) one[side] = await round(side, per);
    for (const side of ["plain", "encrypted"] as Side[]) {
      got[side].wall.push(one[side]!.wall);
      got[side].cpu.push(one[side]!.cpu);
    }
    wallRatio.push(one.encrypted!.wall / one.plain!.wall);
    cpuRatio.push(one.encrypted!.cpu / one.plain!.cpu);
  }
  const bytes = async (side: Side) => (await sides[side].store.storage(last[side])).bytes;
  console.log(
    JSON.stringify({
      store: kind,
      rounds,
      per,
      usPerStep: { plain: Math.round(median(got.plain.wall)), encrypted: Math.round(median(got.encrypted.wall)) },
      cpuUsPerStep: { plain: Math.round(median(got.plain.cpu)), encrypted: Math.round(median(got.encrypted.cpu)) },
      wallRatio: +median(wallRatio).toFixed(2),
      cpuRatio: +median(cpuRatio).toFixed(2),
      cpuRatioMinMax: [+Math.min(...cpuRatio).toFixed(2), +Math.max(...cpuRatio).toFixed(2)],
      bytesPerThread: { plain: await bytes("plain"), encrypted: await bytes("encrypted") },
      loadavg: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
    }),
  );
  await sides.plain.dispose();
  await sides.encrypted.dispose();
}
