/**
 * Encryption at rest for every backend: a wrapper around any CheckpointStore that seals the values of a
 * checkpoint before the store sees them and opens them on the way out (lib/checkpoint/crypto.ts seals one value).
 * With no key it compresses the long values of what a step wrote instead (compress.ts): the same place, so every
 * store gets both, and a read unpacks what it finds whichever way the row was written.
 * It sits in front of the shared delta codec, so the five backends store, index and delta-encode sealed values
 * exactly as they would clear ones, and none of them needs a line of its own.
 *
 * What is sealed, value by value (never a key or a structure):
 * - state: each channel's value; a list channel item by item, so appending to a list stays an append for the
 *   codec and an unchanged channel stays byte-identical (equal values seal equally: see crypto.ts);
 * - metadata: each write's value (sealed like the channel it wrote, so a step's writes keep standing in for
 *   its delta), each failed attempt's message, and every free-form key's value (run ids, users, ...);
 * - interrupts: each interrupt's value; pending writes: each write's value.
 * What stays in clear, because stores query, index or list it: ids, thread ids, parent links, versions,
 * steps, node names, `next`, timestamps, the interrupt ids / nodes / kinds, the written channel names, the
 * metadata keys and its `source`, `actor`, `reason`, `forkedFrom`, `goto` and `durationMs`, list lengths, and
 * the whole thread record (graph, status, error, thread metadata — the thread search reads them).
 *
 * Reading opens any sealed value it meets, whichever key of the ring sealed it, and passes clear values (written
 * before encryption was turned on) through. With no ring at all, a sealed value is an ENCRYPTION_KEY error:
 * never the envelope handed out as if it were the state.
 */
import { WaypointError } from "../errors";
import { assertNoReservedKey, isPackedWrite, packMetadata, unpackWrite } from "./compress";
import { isSealed, openSealed, sealItem, sealValue, type Keyring } from "./crypto";
import { assertSafeId } from "./ids";
import { validateListOptions, validateNewCheckpoint, validateWrites } from "./validate";
import { validateAppendWrites } from "./writes";
import type {
  Checkpoint,
  CheckpointMetadata,
  CheckpointStore,
  ListOptions,
  LockResult,
  NewCheckpoint,
  PendingInterrupt,
  PendingWrite,
  TaskWrite,
} from "./types";

/** Metadata keys whose values stay in clear (what summaries, forks and the engine read without the state). */
export const CLEAR_METADATA: ReadonlySet<string> = new Set([
  "source",
  "writes",
  "actor",
  "reason",
  "forkedFrom",
  "goto",
  "durationMs",
  "failedAttempts",
]);

/** Lists opened in one call (a page's states share lists): a plain Map, dropped with the call (a WeakMap's entries cost the GC more). */
type Memo = Map<unknown[], unknown[]>;

/** Seals a value the way a channel holds it: a list item by item, anything else whole. */
function sealChannel(ring: Keyring, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => sealItem(ring, item));
  return sealValue(ring, value);
}

/**
 * Opens a channel value. Lists shared between the states of one page (the codec rebuilds a page copy-on-write)
 * are opened once per call (`memo`).
 */
function openChannel(ring: Keyring | null, value: unknown, memo: Memo): unknown {
  if (isSealed(value)) return openSealed(ring, value);
  if (!Array.isArray(value)) return value;
  const known = memo.get(value);
  if (known) return known;
  let out: unknown[] | null = null;
  for (let i = 0; i < value.length; i++) {
    const item = value[i] as unknown;
    if (!isSealed(item)) continue;
    out ??= value.slice();
    out[i] = openSealed(ring, item);
  }
  const opened = out ?? value;
  memo.set(value, opened);
  return opened;
}

/** A list channel as last sealed: its plaintext JSON text and its sealed items. */
interface SealedList {
  text: string;
  sealed: string[];
}

/**
 * The list channels of the checkpoint each thread saved last (at most MAX_THREADS threads, MAX_CHARS of text),
 * so a step that appends to a long list seals only the new items: the rest is the parent's sealed items, reused
 * when the parent's list text is a prefix of the new one (the same test the delta codec uses for an append,
 * and exact: equal item texts seal to equal strings, so reuse gives what sealing again would).
 */
class ListMemo {
  private readonly byThread = new Map<string, { id: string; lists: Map<string, SealedList>; chars: number }>();
  private chars = 0;
  static readonly MAX_THREADS = 256;
  static readonly MAX_CHARS = 16 * 1024 * 1024;

  parentList(threadId: string, parentId: string | null, channel: string): SealedList | undefined {
    const e = this.byThread.get(threadId);
    return e && e.id === parentId ? e.lists.get(channel) : undefined;
  }

  keep(threadId: string, id: string, lists: Map<string, SealedList>): void {
    this.drop(threadId);
    let chars = 0;
    for (const l of lists.values()) chars += l.text.length * 2;
    if (chars > ListMemo.MAX_CHARS) return;
    while (this.byThread.size >= ListMemo.MAX_THREADS || this.chars + chars > ListMemo.MAX_CHARS) this.drop(this.byThread.keys().next().value!);
    this.byThread.set(threadId, { id, lists, chars });
    this.chars += chars;
  }

  drop(threadId: string): void {
    const e = this.byThread.get(threadId);
    if (!e) return;
    this.chars -= e.chars;
    this.byThread.delete(threadId);
  }
}

function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    throw new WaypointError("INVALID_ARGUMENT", `Checkpoint is not JSON-serialisable: ${(e as Error).message}`);
  }
}

/** A list channel sealed item by item, reusing the parent's sealed items for an unchanged prefix (see ListMemo). */
function sealList(ring: Keyring, value: unknown[], prev: SealedList | undefined): SealedList {
  const text = jsonOf(value);
  if (prev) {
    if (text === prev.text) return prev;
    const head = prev.text.slice(0, -1);
    if (prev.text !== "[]" && text.length > prev.text.length && text.startsWith(head) && text[head.length] === ",") {
      const added = JSON.parse("[" + text.slice(head.length + 1)) as unknown[];
      return { text, sealed: prev.sealed.concat(added.map((item) => sealItem(ring, item))) };
    }
  }
  return { text, sealed: value.map((item) => sealItem(ring, item)) };
}

function sealState(ring: Keyring, cp: NewCheckpoint, memo: ListMemo): Record<string, unknown> {
  const state = cp.state;
  const out: Record<string, unknown> = {};
  const lists = new Map<string, SealedList>();
  for (const k of Object.keys(state)) {
    const v = state[k];
    if (Array.isArray(v)) {
      const l = sealList(ring, v, memo.parentList(cp.threadId, cp.parentId, k));
      lists.set(k, l);
      put(out, k, l.sealed.slice());
    } else put(out, k, sealValue(ring, v));
  }
  memo.keep(cp.threadId, cp.id, lists);
  return out;
}

function openState(ring: Keyring | null, state: Record<string, unknown>, memo: Memo): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(state)) {
    const v = state[k];
    const o = openChannel(ring, v, memo);
    if (o === v) continue;
    out ??= { ...state };
    put(out, k, o);
  }
  return out ?? state;
}

/** Own property, also for "__proto__". */
function put(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function sealMetadata(ring: Keyring, m: CheckpointMetadata): CheckpointMetadata {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(m)) {
    const v = m[k];
    if (k === "writes" && Array.isArray(v))
      out.writes = v.map((w: unknown) =>
        w && typeof w === "object" ? { ...(w as object), value: sealChannel(ring, (w as { value?: unknown }).value) } : w,
      );
    else if (k === "failedAttempts" && Array.isArray(v))
      out.failedAttempts = v.map((a: unknown) =>
        a && typeof a === "object" && "message" in a ? { ...(a as object), message: sealValue(ring, (a as { message: unknown }).message) } : a,
      );
    else put(out, k, CLEAR_METADATA.has(k) ? v : sealValue(ring, v));
  }
  return out as CheckpointMetadata;
}

/** `open` applied to each object of a list: the same list when it changed none (a history page allocates nothing). */
function openEach<T extends object>(list: T[], open: (x: T) => T): T[] {
  let out: T[] | null = null;
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    const o = x && typeof x === "object" ? open(x) : x;
    if (o === x) continue;
    out ??= list.slice();
    out[i] = o;
  }
  return out ?? list;
}

/** The metadata opened; the same object when nothing in it was sealed (metadata in clear costs no copy). */
function openMetadata(ring: Keyring | null, m: CheckpointMetadata, memo: Memo, checkpointId?: string): CheckpointMetadata {
  if (!m || typeof m !== "object") return m;
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(m)) {
    const v = m[k];
    let o: unknown = v;
    if (k === "writes" && Array.isArray(v))
      o = openEach(v as { value?: unknown }[], (stored) => {
        const w = isPackedWrite(stored) ? (unpackWrite(stored, checkpointId) as typeof stored) : stored;
        const value = openChannel(ring, w.value, memo);
        return value === w.value ? w : { ...w, value };
      });
    else if (k === "failedAttempts" && Array.isArray(v))
      o = openEach(v as { message?: unknown }[], (a) => {
        if (!("message" in a)) return a;
        const message = openChannel(ring, a.message, memo);
        return message === a.message ? a : { ...a, message };
      });
    else if (isSealed(v)) o = openSealed(ring, v);
    if (o === v) continue;
    out ??= { ...m };
    put(out, k, o);
  }
  return (out ?? m) as CheckpointMetadata;
}

const sealValues = <T extends { value: unknown }>(ring: Keyring, list: T[]): T[] =>
  list.map((x) => (x && typeof x === "object" ? { ...x, value: sealValue(ring, x.value) } : x));

const openValues = <T extends { value: unknown }>(ring: Keyring | null, list: T[]): T[] =>
  Array.isArray(list) ? openEach(list, (x) => (isSealed(x.value) ? { ...x, value: openSealed(ring, x.value) } : x)) : list;

/** The checkpoint fields a save or import hands to the inner store, sealed. */
function sealCheckpoint<C extends NewCheckpoint>(ring: Keyring, cp: C, memo: ListMemo): C {
  return {
    ...cp,
    state: sealState(ring, cp, memo),
    metadata: sealMetadata(ring, cp.metadata),
    interrupts: sealValues<PendingInterrupt>(ring, cp.interrupts),
    pendingWrites: sealValues<PendingWrite>(ring, cp.pendingWrites),
  };
}

/** Makes `out[key]` the value `open()` gives, computed on first read (or replaced by an assignment). */
function openLazily<K extends keyof Checkpoint>(out: Checkpoint, key: K, open: () => Checkpoint[K]): void {
  const settle = (value: Checkpoint[K]) => Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(out, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = open();
      settle(value);
      return value;
    },
    set: settle,
  });
}

/**
 * A stored checkpoint opened. The state is opened on first read when the inner store gave it lazily (a saved
 * checkpoint whose state the engine rarely reads: see `lazyState` in delta.ts). With `lazy` (the copy `save`
 * returns, of which the engine reads the id and version and seldom anything else), the metadata is opened on
 * first read too: opening it every step was about a third of the wrapper's cost per save (issue 14's profile).
 */
function openCheckpoint(ring: Keyring | null, cp: Checkpoint, memo: Memo = new Map(), lazy = false): Checkpoint {
  // Copied key by key: spreading `cp` would read a lazy `state` and parse it.
  const out = {} as Checkpoint;
  for (const k of Object.keys(cp) as (keyof Checkpoint)[]) if (k !== "state") (out as unknown as Record<string, unknown>)[k] = cp[k];
  const metadata = cp.metadata;
  if (lazy) openLazily(out, "metadata", () => openMetadata(ring, metadata, memo, cp.id));
  else out.metadata = openMetadata(ring, metadata, memo, cp.id);
  out.interrupts = openValues(ring, cp.interrupts);
  out.pendingWrites = openValues(ring, cp.pendingWrites);
  const desc = Object.getOwnPropertyDescriptor(cp, "state");
  if (desc && desc.get) openLazily(out, "state", () => openState(ring, cp.state, memo));
  else out.state = openState(ring, cp.state, memo);
  return out;
}

/** Marks a store as wrapped, so wrapping twice (a factory store handed to code that wraps again) is harmless. */
const WRAPPED = Symbol.for("waypoint.encryptedStore");

/**
 * The store with its checkpoint values sealed by `ring.current` (when set) and opened by any key of the ring.
 * `ring` null: nothing is sealed, and a sealed value read back is an ENCRYPTION_KEY error. Members that are
 * not checkpoint methods (kind, thread records, locks, close, getPrisma, ...) pass through.
 */
export function encryptStore<S extends CheckpointStore>(store: S, ring: Keyring | null): S {
  if ((store as unknown as Record<symbol, unknown>)[WRAPPED]) return store;
  const sealing = ring?.current ? ring : null;
  const memo = new ListMemo();
  // Sealing, or with no key compression (compress.ts): never both, sealed values do not compress.
  const seal = <C extends NewCheckpoint>(cp: C): C => {
    if (!sealing) {
      if (!cp || typeof cp !== "object") return cp; // the backend refuses it
      assertNoReservedKey(cp.metadata);
      const metadata = packMetadata(cp.metadata);
      return metadata === cp.metadata ? cp : { ...cp, metadata };
    }
    validateNewCheckpoint(cp); // INVALID_ID before anything else, as the backends report it
    assertNoReservedKey(cp.metadata);
    return sealCheckpoint(sealing, cp, memo);
  };
  const open = (cp: Checkpoint, memo?: Memo, lazy?: boolean) => openCheckpoint(ring, cp, memo, lazy);
  // A metadata filter matches sealed values sealed alike (the seal is deterministic): only rows written with
  // the current key match a sealed key's filter; keys stored in clear are compared as given.
  const sealFilter = (options?: ListOptions): ListOptions | undefined => {
    if (!sealing || options?.metadata === undefined) return options;
    const f = validateListOptions(options).metadata; // malformed filters refused as without a key
    if (!f) return options;
    const sealed: Record<string, string | number | boolean> = {};
    for (const k of Object.keys(f)) sealed[k] = CLEAR_METADATA.has(k) ? f[k] : (sealValue(sealing, f[k]) as string);
    return { ...options, metadata: sealed };
  };
  const openLock = (r: LockResult): LockResult => (r.acquired && r.latest ? { ...r, latest: open(r.latest) } : r);
  const wrapped: Partial<Record<keyof CheckpointStore, unknown>> = {
    save: async (cp: NewCheckpoint, options?: Parameters<CheckpointStore["save"]>[1]) => open(await store.save(seal(cp), options), undefined, true),
    importCheckpoint: async (cp: Checkpoint) => store.importCheckpoint(seal(cp)),
    load: async (id: string) => open(await store.load(id)),
    latest: async (threadId: string) => {
      const cp = await store.latest(threadId);
      return cp && open(cp);
    },
    list: async (threadId: string, options?: ListOptions) => {
      const memo: Memo = new Map();
      return (await store.list(threadId, sealFilter(options))).map((cp) => open(cp, memo));
    },
    listSummaries: async (threadId: string, options?: ListOptions) => store.listSummaries(threadId, sealFilter(options)),
    appendWrites: async (checkpointId: string, taskId: string, writes: TaskWrite[]) => {
      if (!sealing || !Array.isArray(writes)) return store.appendWrites(checkpointId, taskId, writes);
      validateAppendWrites(checkpointId, taskId, writes);
      return store.appendWrites(checkpointId, taskId, sealValues(sealing, writes));
    },
    putWrites: async (checkpointId: string, writes: PendingWrite[]) => {
      if (!sealing || !Array.isArray(writes)) return store.putWrites(checkpointId, writes);
      assertSafeId(checkpointId, "checkpoint");
      validateWrites(writes);
      return store.putWrites(checkpointId, sealValues(sealing, writes));
    },
    acquireLock: async (...args: Parameters<CheckpointStore["acquireLock"]>) => openLock(await store.acquireLock(...args)),
  };
  // A method replaced on the wrapper (a test or a benchmark counting calls) replaces the wrapper's method, not
  // the store's: writing it through to the store would make the wrapper call its own replacement.
  const replaced = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === WRAPPED) return true;
      if (replaced.has(prop)) return replaced.get(prop);
      if (typeof prop === "string" && prop in wrapped) return wrapped[prop as keyof CheckpointStore];
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
    set(target, prop, value, receiver) {
      if (typeof prop === "string" && prop in wrapped) {
        replaced.set(prop, value);
        return true;
      }
      return Reflect.set(target, prop, value, receiver);
    },
  });
}
