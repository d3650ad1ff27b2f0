/**
 * Shared fixtures for the conformance suite: checkpoint builders and assertion helpers.
 * Every backend runs the same tests, so nothing here may depend on a particular store.
 */
import { expect } from "vitest";
import { newCheckpointId } from "../../lib/checkpoint/ids";
import type { Checkpoint, CheckpointStore, NewCheckpoint } from "../../lib/checkpoint/types";
import { isWaypointError, type ErrorCode } from "../../lib/errors";

export interface ConformanceInit {
  /** A fresh, set-up store on fresh backing storage (own temp dir / database / key prefix). */
  create(): Promise<CheckpointStore>;
  /** A second store instance on the SAME backing storage as `first` (stands in for a second process). */
  createSecond(first: CheckpointStore): Promise<CheckpointStore>;
  /**
   * Damages the stored state or delta of one checkpoint (as a disk or a hand edit would: garbage text where
   * its ops or state were), without touching any other row.
   */
  corruptDelta(store: CheckpointStore, checkpointId: string): Promise<void>;
  /**
   * How a separate process opens the SAME backing storage as `store` (absent for the memory store): the module,
   * its factory export and the factory's options (JSON). Used by the multi-process appendWrites test.
   */
  childStore?(store: CheckpointStore): { module: string; create: string; options: unknown };
  /** Closes the store(s) and removes the backing storage. */
  destroy(store: CheckpointStore): Promise<void>;
}

/** Gives each test a fresh store and tears it down afterwards (see `useStore` in suite.ts). */
export interface StoreRef {
  store: CheckpointStore;
  init: ConformanceInit;
}

let seq = 0;
/** A unique, safe thread id per call so tests never collide even on shared servers. */
export const threadId = (label = "t") => `${label}-${process.pid}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

/** A valid new checkpoint; `parent` may be a stored checkpoint, an id, or null. */
export function cp(thread: string, parent: Checkpoint | string | null = null, over: Partial<NewCheckpoint> = {}): NewCheckpoint {
  const parentId = parent === null ? null : typeof parent === "string" ? parent : parent.id;
  return {
    id: newCheckpointId(),
    threadId: thread,
    parentId,
    step: parent === null ? -1 : 0,
    nodeName: parent === null ? "__input__" : "work",
    state: { n: 1, items: ["a"] },
    next: ["work"],
    interrupts: [],
    pendingWrites: [],
    metadata: { source: parent === null ? "input" : "loop", writes: [] },
    timestamp: new Date().toISOString(),
    ...over,
  };
}

/** Saves a linear chain of `n` checkpoints (first one a root) and returns them as stored. */
export async function chain(store: CheckpointStore, thread: string, n: number, from: Checkpoint | null = null): Promise<Checkpoint[]> {
  const out: Checkpoint[] = [];
  let parent = from;
  for (let i = 0; i < n; i++) {
    parent = await store.save(cp(thread, parent, { step: i, state: { i } }));
    out.push(parent);
  }
  return out;
}

/** Asserts the promise rejects with a WaypointError of `code` and returns the error. */
export async function rejectsWith(p: Promise<unknown> | (() => Promise<unknown>), code: ErrorCode) {
  let err: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, `expected rejection with ${code}`).toBeDefined();
  if (!isWaypointError(err, code)) throw new Error(`expected ${code}, got ${String((err as Error)?.stack ?? err)}`);
  expect((err as Error).message.length).toBeGreaterThan(0);
  return err;
}

/** What `load` must return for a saved input: its JSON round trip plus the assigned version. */
export const roundTrip = <T>(v: T): T => JSON.parse(JSON.stringify(v));

export const ids = (cps: { id: string }[]) => cps.map((c) => c.id);
export const versions = (cps: { version: number }[]) => cps.map((c) => c.version);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything observable about a set of threads: used to prove a rejected call changed nothing. */
export async function snapshot(store: CheckpointStore, threads: string[]) {
  const out: Record<string, unknown> = {};
  for (const t of threads) {
    out[t] = {
      cps: await store.list(t),
      thread: await store.getThread(t).catch((e) => (isWaypointError(e) ? e.code : String(e))),
    };
  }
  out.__threads = (await store.listThreads({ limit: 500 })).threads.map((t) => t.threadId).sort();
  return out;
}
