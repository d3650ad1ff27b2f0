/**
 * `waypoint migrate` (lib/cli/transfer.ts) on every ordered pair of SQLite, PostgreSQL, Redis and the JSON-files
 * store, with a store of 1,000 threads (branches, interrupts with pending writes, errors, version gaps): the
 * seed goes SQLite → each other store, and each of those is the source of the pairs that start from it. Every
 * migration must end verified (same checkpoints, by content digest, thread by thread), leave `verify` with
 * nothing to say, and keep the thread records (status, graph, error, metadata). Throughput is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newCheckpointId } from "@/lib/checkpoint/ids";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { threadDigest } from "@/lib/cli/archive";
import { openStore } from "@/lib/cli/store-url";
import { migrate } from "@/lib/cli/transfer";
import { verifyStore } from "@/lib/cli/verify";
import { seed, type Seeded } from "./seed";
import { freshStore, serversUp, type TestStoreUrl } from "./stores";

const THREADS = 1000;
const KINDS = ["sqlite", "postgres", "redis", "file"] as const;
type Kind = (typeof KINDS)[number];

describe("migrate between every pair of stores (1,000 threads)", () => {
  const made: TestStoreUrl[] = [];
  const open: CheckpointStore[] = [];
  const sources = new Map<Kind, CheckpointStore>();
  let seeded: Seeded;
  const figures: string[] = [];

  const fresh = async (kind: Kind) => {
    const s = await freshStore(kind);
    made.push(s);
    const store = await openStore(s.url);
    open.push(store);
    return store;
  };

  beforeAll(async () => {
    await serversUp();
    const first = await fresh("sqlite");
    seeded = await seed(first, THREADS);
    sources.set("sqlite", first);
  }, 300_000);
  afterAll(async () => {
    for (const s of open) await s.close().catch(() => {});
    for (const m of made) await m.drop().catch(() => {});
    console.log(`migration throughput (${THREADS} threads, ${seeded?.checkpoints} checkpoints):\n${figures.join("\n")}`);
  }, 120_000);

  /** Sources in the order they become available: SQLite (seeded), then each store SQLite migrated into. */
  const pairs: [Kind, Kind][] = [
    ...KINDS.filter((k) => k !== "sqlite").map((k) => ["sqlite", k] as [Kind, Kind]),
    ...KINDS.filter((k) => k !== "sqlite").flatMap((from) => KINDS.filter((to) => to !== from).map((to) => [from, to] as [Kind, Kind])),
  ];

  it.each(pairs)(
    "%s → %s: every thread copied and verified, records kept, verify finds nothing",
    async (from, to) => {
      const source = sources.get(from)!;
      const target = await fresh(to);
      const report = await migrate(source, target, {});
      figures.push(`  ${from} → ${to}: ${Math.round(report.checkpoints / (report.ms / 1000))} checkpoints/s (${(report.ms / 1000).toFixed(1)} s)`);
      expect(report).toMatchObject({
        threads: THREADS,
        checkpoints: seeded.checkpoints,
        written: seeded.checkpoints,
        skipped: 0,
        mismatched: [],
        verified: true,
      });
      if (from === "sqlite") sources.set(to, target);

      // Records and a few threads in detail: interrupted with pending writes, errored, forked, gapped.
      for (const t of ["m-00000", "m-00004", "m-00011", "m-00053", "m-00070"]) {
        const [a, b] = [await source.getThread(t), await target.getThread(t)];
        expect({ ...b, createdAt: undefined, updatedAt: undefined }).toEqual({ ...a, createdAt: undefined, updatedAt: undefined });
        expect((await threadDigest(target, t)).digest).toBe((await threadDigest(source, t)).digest);
      }
      // m-00000 waits at review on its main branch (its newest checkpoint is a fork from v1).
      const head = (await target.list("m-00000")).find((c) => c.interrupts.length > 0);
      expect(head?.interrupts).toHaveLength(1);
      expect((await target.latest("m-00000"))?.metadata).toMatchObject({ source: "fork", actor: "Rita Reviewer" });
      expect(head?.pendingWrites).toEqual([{ node: "side", channel: "log", value: { k: 99, text: "a sibling's write" } }]);
      expect((await target.getThread("m-00011")).error?.message).toBe("boom in m-00011");
      expect((await target.list("m-00053")).map((c) => c.version)).toEqual([1, 3, 4]);
      // m-00004's subgraph checkpoints keep their namespace (never the head) and their task's writes (idx, path).
      const sub = await target.list("m-00004", { namespace: "sub:4|inner:1" });
      expect(sub).toEqual(await source.list("m-00004", { namespace: "sub:4|inner:1" }));
      expect(sub[0].pendingWrites.map((w) => [w.node, w.idx, w.taskPath ?? null, w.encoding ?? null])).toEqual([
        ["task-4", 0, "~__pregel_pull, inner", null],
        ["task-4", -3, null, "json"],
      ]);
      expect((await target.latest("m-00004"))?.namespace).toBeUndefined();
      expect((await target.getThread("m-00004")).headVersion).toBe(3);

      // The copy is a working store: a new checkpoint continues after the highest version.
      const next = await target.save({ ...head!, id: newCheckpointId(), parentId: head!.id, version: undefined } as never);
      expect(next.version).toBe((await source.getThread("m-00000")).headVersion + 1);
      await target.delete(next.id);

      if (from !== "sqlite") {
        const checked = await verifyStore(target, {});
        expect(checked.problems).toEqual([]);
        expect(checked.checkpoints).toBe(seeded.checkpoints);
      }
    },
    600_000,
  );
});
