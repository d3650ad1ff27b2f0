/**
 * Compression at rest of large step writes (lib/checkpoint/compress.ts), on every backend: the store behind
 * the wrapper every factory store gets (encryptStore with no key), checked against an oracle that kept what
 * was saved, and against the backend as it is (what it really holds). Run once per backend (not again under
 * encryption: with a key nothing is packed, which one test below checks).
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { forgetPackedTexts, PACKED_KEY } from "../../lib/checkpoint/compress";
import { createKeyring } from "../../lib/checkpoint/crypto";
import { encryptStore } from "../../lib/checkpoint/encrypted";
import type { ChannelWrite, Checkpoint, CheckpointStore, NewCheckpoint } from "../../lib/checkpoint/types";
import { cp, rejectsWith, threadId, type ConformanceInit } from "./suite-helpers";

/** Model-like text: compresses 2–5× with zlib. */
const prose = (i: number) => `Step ${i}: the reviewer asked for a shorter summary of the installation guide. `.repeat(6) + `Done at step ${i}.`;
/** Random hex: does not compress, stays as written. */
const noise = () => randomBytes(400).toString("hex");

type Saved = { input: NewCheckpoint; cp: Checkpoint };

/** A thread of `n` steps: a long draft (set), a log of long entries (append) and a small counter. */
async function write(store: CheckpointStore, t: string, n: number, from: Checkpoint | null = null, draft = prose): Promise<Saved[]> {
  const out: Saved[] = [];
  let parent = from;
  let log = from ? [...(from.state.log as unknown[])] : [];
  for (let i = 0; i < n; i++) {
    const entry = { at: i, note: prose(i).slice(0, 300), tags: ["a", "b"] };
    log = [...log, entry];
    const d = draft(i);
    const input = cp(t, parent, {
      step: i,
      state: { draft: d, log, count: i },
      metadata: {
        source: "loop",
        writes: [
          { node: "work", channel: "draft", value: d },
          { node: "work", channel: "log", value: [entry] },
          { node: "work", channel: "count", value: i },
        ],
      },
    });
    parent = await store.save(input);
    out.push({ input, cp: parent });
  }
  return out;
}

/**
 * What the wrapper reads back must be what was saved: the state byte for byte, the metadata equal (PostgreSQL's
 * JSONB keeps metadata keys in its own order, compressed or not).
 */
function same(got: Checkpoint, want: NewCheckpoint): void {
  expect(got.id).toBe(want.id);
  expect(JSON.stringify(got.state)).toBe(JSON.stringify(want.state));
  expect(got.metadata).toEqual(want.metadata);
}

const packedChannels = (c: Checkpoint) =>
  ((c.metadata.writes ?? []) as unknown as Record<string, unknown>[]).filter((w) => typeof w[PACKED_KEY] === "string").map((w) => w.channel);

export function compressionTests(name: string, init: ConformanceInit): void {
  describe(`compression at rest: ${name}`, () => {
    const withStores = async (fn: (raw: CheckpointStore, store: CheckpointStore) => Promise<void>) => {
      const raw = await init.create();
      try {
        await fn(raw, encryptStore(raw, null));
      } finally {
        await init.destroy(raw);
      }
    };

    it("stores long step writes compressed and reads every checkpoint back exactly, in this process and a fresh one", () =>
      withStores(async (raw, store) => {
        const t = threadId("z");
        const saved = await write(store, t, 24);
        // The backend holds the long draft and the log entries packed, the small counter as written.
        const stored = await raw.load(saved[5].cp.id);
        expect(packedChannels(stored)).toEqual(["draft", "log"]);
        for (const fresh of [false, true]) {
          if (fresh) forgetPackedTexts(); // a process that has read nothing yet inflates every value
          const all = await store.list(t);
          expect(all.map((c) => c.id).sort()).toEqual(saved.map((s) => s.input.id).sort());
          for (const c of all) same(c, saved.find((s) => s.input.id === c.id)!.input);
          for (const s of [saved[0], saved[9], saved[23]]) same(await store.load(s.input.id), s.input);
          same((await store.latest(t))!, saved[23].input);
        }
        // Smaller than the same thread written without compression, on this backend's own measure (snapshots of
        // the log, stored whole, are not compressed: about 0.7 here).
        const plain = threadId("plain");
        await write(raw, plain, 24);
        const [zipped, unzipped] = [await store.storage(t), await raw.storage(plain)];
        expect(zipped.checkpoints).toBe(24);
        expect(zipped.bytes).toBeLessThan(unzipped.bytes * 0.8);
      }));

    it("keeps short and incompressible writes as written", () =>
      withStores(async (raw, store) => {
        const t = threadId("z");
        const saved = await write(store, t, 3, null, () => noise());
        const stored = await raw.load(saved[2].cp.id);
        expect(packedChannels(stored)).toEqual(["log"]);
        expect((stored.metadata.writes as { value?: unknown }[])[0].value).toBe(saved[2].input.state.draft);
        for (const s of saved) same(await store.load(s.input.id), s.input);
      }));

    it("forks, edits and prunes over compressed rows rebuild every survivor", () =>
      withStores(async (_raw, store) => {
        const t = threadId("z");
        const main = await write(store, t, 20);
        // A branch off an old checkpoint, with writes of its own.
        const branch = await write(store, t, 6, main[7].cp, (i) => `branch ${i} `.repeat(40));
        // An edit of an old checkpoint's draft (a set that is not the step's write).
        const edit = cp(t, main[3].cp, { step: 4, state: { ...main[3].input.state, draft: prose(99) }, metadata: { source: "update", writes: [] } });
        await store.save(edit);
        const expected = new Map<string, NewCheckpoint>([...main, ...branch].map((s) => [s.input.id, s.input]));
        expected.set(edit.id, edit);
        forgetPackedTexts();
        const all = await store.list(t);
        expect(all).toHaveLength(expected.size);
        for (const c of all) same(c, expected.get(c.id)!);
        const removed = await store.prune(t, 9);
        expect(removed).toBe(expected.size - 9);
        forgetPackedTexts();
        const left = await store.list(t);
        expect(left).toHaveLength(9);
        for (const c of left) same(c, expected.get(c.id)!);
      }));

    it("reads rows written before compression and keeps compressing the steps saved on top of them", () =>
      withStores(async (raw, store) => {
        const t = threadId("z");
        const old = await write(raw, t, 5); // as the previous version stored them
        expect(packedChannels(await raw.load(old[4].cp.id))).toEqual([]);
        const next = await write(store, t, 5, old[4].cp);
        expect(packedChannels(await raw.load(next[4].cp.id))).toEqual(["draft", "log"]);
        forgetPackedTexts();
        const all = await store.list(t);
        const expected = new Map([...old, ...next].map((s) => [s.input.id, s.input]));
        for (const c of all) same(c, expected.get(c.id)!);
      }));

    it("with encryption on, reads compressed rows and packs nothing new", () =>
      withStores(async (raw, store) => {
        const t = threadId("z");
        const before = await write(store, t, 4);
        const sealed = encryptStore(raw, createKeyring(randomBytes(32).toString("base64")));
        forgetPackedTexts();
        for (const s of before) same(await sealed.load(s.input.id), s.input);
        const after = await write(sealed, t, 3, before[3].cp);
        expect(packedChannels(await raw.load(after[2].cp.id))).toEqual([]);
        for (const s of [...before, ...after]) same(await sealed.load(s.input.id), s.input);
      }));

    it("refuses a write entry with the reserved key, and saves nothing", () =>
      withStores(async (_raw, store) => {
        const t = threadId("z");
        const [first] = await write(store, t, 1);
        const bad = cp(t, first.cp, {
          metadata: { source: "loop", writes: [{ node: "work", channel: "draft", [PACKED_KEY]: "x" } as unknown as ChannelWrite] },
        });
        await rejectsWith(store.save(bad), "INVALID_ARGUMENT");
        expect((await store.latest(t))!.id).toBe(first.input.id);
        await rejectsWith(store.importCheckpoint({ ...bad, version: 2 } as unknown as Checkpoint), "INVALID_ARGUMENT");
      }));

    it("reports a damaged compressed write clearly, and the checkpoints before it stay readable", () =>
      withStores(async (raw, store) => {
        const t = threadId("z");
        const saved = await write(store, t, 3);
        // A row whose packed value was damaged on disk: stored through the backend as it is, which takes any JSON.
        const good = await raw.load(saved[2].cp.id);
        const z = (good.metadata.writes as unknown as Record<string, string>[])[0][PACKED_KEY];
        const flipped = z.slice(0, 10) + (z[10] === "A" ? "B" : "A") + z.slice(11);
        const damaged = cp(t, saved[2].cp, {
          step: 3,
          state: saved[2].input.state,
          metadata: { source: "loop", writes: [{ node: "work", channel: "note", [PACKED_KEY]: flipped } as unknown as ChannelWrite] },
        });
        await raw.save(damaged);
        forgetPackedTexts();
        const err = (await rejectsWith(store.load(damaged.id), "CORRUPT_CHECKPOINT")) as Error & { details?: unknown };
        expect(err.message).toContain(damaged.id);
        expect(err.message).toContain('"note"');
        for (const s of saved) same(await store.load(s.input.id), s.input);
      }));
  });
}
