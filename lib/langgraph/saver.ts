/**
 * `WaypointSaver`: a LangGraph.js checkpointer (`BaseCheckpointSaver`) over any Waypoint store, so a LangGraph.js
 * `StateGraph` compiled with it keeps its threads in the same memory / file / SQLite / PostgreSQL / Redis store
 * the dashboard reads. It passes `@langchain/langgraph-checkpoint-validation` on all five (tests/langgraph).
 *
 * Mapping (records.ts has the layout):
 * - LangGraph's `thread_id` is the Waypoint thread id, so it must be a Waypoint-safe id (ids.ts: letters, digits,
 *   `_ - . :`); others are refused with INVALID_ID rather than silently renamed.
 * - A LangGraph checkpoint id is the Waypoint checkpoint id; its parent (the `checkpoint_id` put is called with)
 *   the Waypoint parent. Waypoint versions follow save order, and "latest" means newest by version.
 * - Subgraph checkpoints (`checkpoint_ns` ≠ "") are saved in their parent's Waypoint thread with the store's
 *   `namespace` (types.ts): they are listed under the parent thread, deleted with it (`deleteThread` is the
 *   store's `clear`), never appear as threads of their own and are never the thread's head or `latest`.
 *   Reading one namespace (getTuple without an id, list) asks the store for that namespace only.
 * - Channel values: LangGraph passes every channel's value but only `newVersions` changed. As LangGraph's SQL
 *   savers do (one blob per channel version), a channel's value at a checkpoint is the one put with its current
 *   version: taken from the checkpoint when the channel is in `newVersions`, else carried over from the parent
 *   when the parent holds that same version (absent otherwise). Waypoint stores keep each state as a delta
 *   against an ancestor, so carrying values costs what changed, not the whole state.
 * - Metadata filter (`list`'s `filter`): the store's `ListOptions.metadata` on the `langgraph.<key>` copies of
 *   LangGraph's scalar metadata (records.ts `filterCopies`), so non-matching checkpoints are never loaded. A
 *   filter the store cannot express (an object, array or null value) is compared after loading, as before.
 *   Checkpoints saved before issue 12 have no copies: a store-side filter does not match them.
 * - Pending writes: the store's atomic `appendWrites` (types.ts), which merges per (task id, idx) as LangGraph's
 *   savers do (a regular write is kept if present, a special one — ERROR, INTERRUPT, RESUME, SCHEDULED —
 *   replaces) in one step on the store, so parallel tasks lose nothing, also when they run in several processes.
 */
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  compareWritesSortKeys,
  getCheckpointId,
  maxChannelVersion,
  TASKS,
  WRITES_IDX_MAP,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint as LgCheckpoint,
  type CheckpointListOptions,
  type CheckpointMetadata as LgMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite as LgPendingWrite,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import { isWaypointError } from "../errors";
import { assertSafeId, isSafeId } from "../checkpoint/ids";
import type { Checkpoint, CheckpointSource, CheckpointStore, SaveOptions, TaskWrite } from "../checkpoint/types";
import { FORK_NODE, INPUT_NODE, UPDATE_NODE } from "../checkpoint/types";
import {
  decodeValue,
  encodeValue,
  filterCopies,
  FILTER_PREFIX,
  langGraphRecord,
  namespaceOf,
  nodesThatRan,
  type LangGraphRecord,
  type LangGraphWrite,
} from "./records";

const SOURCES: Record<string, CheckpointSource> = { input: "input", loop: "loop", update: "update", fork: "fork" };
const NODE_FOR_SOURCE: Partial<Record<CheckpointSource, string>> = { input: INPUT_NODE, update: UPDATE_NODE, fork: FORK_NODE };
/** Recently put checkpoints kept in memory: the next `put` on a thread carries values over from its parent. */
/** How long a putWrites waits for its checkpoint's put before refusing (see `arrival`). */
const ARRIVAL_MS = 2_000;
const CACHE_SIZE = 64;
/** Checkpoints read per page when a listing has to load them (namespace / metadata filters). */
const PAGE = 32;

/**
 * Who made a checkpoint and why, when the run's or the update's config metadata says so (the Waypoint server
 * passes them): copied where the dashboard's timeline reads them for any checkpoint.
 */
const SHOWN_KEYS = ["actor", "actorId", "reason", "runId", "forkedFrom", "decision"] as const;
function shownMetadata(metadata: LgMetadata): Record<string, unknown> {
  const md = metadata as Record<string, unknown>;
  return Object.fromEntries(SHOWN_KEYS.filter((k) => md[k] !== undefined && md[k] !== null).map((k) => [k, md[k]]));
}

/** A LangGraph thread id as a Waypoint thread id (INVALID_ID, with the rule, when it is not one). */
function threadOf(config: RunnableConfig, what: string): string {
  const threadId = config.configurable?.thread_id;
  if (threadId === undefined || threadId === null || threadId === "")
    throw new Error(`${what}: the config has no "thread_id" in "configurable" (e.g. graph.invoke(input, { configurable: { thread_id: "t1" } })).`);
  assertSafeId(String(threadId), "thread");
  return String(threadId);
}

const nsOf = (config: RunnableConfig): string => String(config.configurable?.checkpoint_ns ?? "");

/**
 * LangGraph's `list` filter as the store's metadata filter on the `langgraph.<key>` copies: undefined for no
 * filter, null when the store cannot express it (a value that is not a string, finite number or boolean, or
 * more keys / longer keys than ListOptions.metadata takes): then `list` compares on the loaded metadata.
 */
function storeFilter(filter: Record<string, unknown> | undefined): Record<string, string | number | boolean> | null | undefined {
  if (!filter) return undefined;
  const entries = Object.entries(filter);
  if (entries.length === 0) return undefined;
  if (entries.length > 20) return null;
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of entries) {
    const scalar = typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
    if (!scalar || k.length === 0 || FILTER_PREFIX.length + k.length > 200 || /\u0000/.test(k) || (typeof v === "string" && v.includes("\u0000")))
      return null;
    out[FILTER_PREFIX + k] = v;
  }
  return out;
}

export interface WaypointSaverOptions {
  /** LangGraph's serializer; default JsonPlusSerializer (what every LangGraph saver uses). */
  serde?: SerializerProtocol;
}

export class WaypointSaver extends BaseCheckpointSaver {
  /** Last put checkpoints by id (immutable once saved, so safe to reuse for carry-over). */
  private readonly recent = new Map<string, Checkpoint>();
  /** putWrites calls waiting for their checkpoint's put (see `arrival`). */
  private readonly arrivals = new Map<string, (() => void)[]>();

  constructor(
    readonly store: CheckpointStore,
    options: WaypointSaverOptions = {},
  ) {
    super(options.serde);
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    if (config.configurable?.thread_id === undefined) return undefined;
    const threadId = threadOf(config, "getTuple");
    const ns = nsOf(config);
    const id = getCheckpointId(config);
    if (id) {
      const cp = await this.loadIn(id, threadId, ns);
      return cp ? this.toTuple(cp) : undefined;
    }
    // The root's newest is the store's latest; a subgraph's, the newest of its namespace.
    const latest = ns === "" ? await this.store.latest(threadId) : (await this.store.list(threadId, { namespace: ns, order: "desc", limit: 1 }))[0];
    if (latest && langGraphRecord(latest) && namespaceOf(latest) === ns) return this.toTuple(latest);
    // None, or a checkpoint saved before issue 12 whose namespace only its record holds: look further.
    for await (const cp of this.scan(threadId, ns, undefined)) return this.toTuple(cp);
    return undefined;
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { before, filter } = options;
    let limit = options.limit;
    const ns = config.configurable?.checkpoint_ns as string | undefined;
    const onlyId = getCheckpointId(config) || undefined;
    const beforeId = before ? getCheckpointId(before) || undefined : undefined;
    const threads = config.configurable?.thread_id !== undefined ? [threadOf(config, "list")] : this.allThreads();
    // In the store when it can express the filter (scalar values); otherwise on the loaded metadata.
    const inStore = storeFilter(filter);
    for await (const threadId of threads) {
      for await (const cp of this.scan(threadId, ns, { onlyId, beforeId }, inStore ?? undefined)) {
        if (limit !== undefined && limit <= 0) return;
        if (filter && inStore === null) {
          const md = (await decodeValue(this.serde, langGraphRecord(cp)!.metadata, undefined)) as Record<string, unknown>;
          if (!Object.entries(filter).every(([k, v]) => md?.[k] === v)) continue;
        }
        if (limit !== undefined) limit -= 1;
        yield await this.toTuple(cp);
      }
    }
  }

  /** The options of `put`'s save on `threadId` (none here; the server's saver fences a run's saves with its lock). */
  protected saveOptions(_threadId: string): SaveOptions | undefined {
    return undefined;
  }

  async put(config: RunnableConfig, checkpoint: LgCheckpoint, metadata: LgMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const threadId = threadOf(config, "put");
    const ns = nsOf(config);
    const parentId = (config.configurable?.checkpoint_id as string | undefined) || null;
    const parent = parentId ? await this.loadIn(parentId, threadId, ns, true) : undefined;
    if (parentId && !parent) throw new Error(`put: parent checkpoint ${parentId} is not in thread ${threadId} (namespace "${ns}").`);
    if (!parentId && ns === "") await this.refuseEngineThread(threadId);
    const parentRecord = parent ? langGraphRecord(parent)! : undefined;

    const state: Record<string, unknown> = {};
    const encodings: Record<string, string> = {};
    for (const [channel, version] of Object.entries(checkpoint.channel_versions)) {
      if (channel in newVersions) {
        const value = (checkpoint.channel_values as Record<string, unknown>)[channel];
        if (value === undefined) continue;
        const enc = await encodeValue(this.serde, value);
        state[channel] = enc.value;
        if (enc.encoding) encodings[channel] = enc.encoding;
      } else if (parent && parentRecord?.channelVersions[channel] === version && channel in parent.state) {
        state[channel] = parent.state[channel];
        const enc = parentRecord.encodings?.[channel];
        if (enc) encodings[channel] = enc;
      }
    }
    const md = await encodeValue(this.serde, metadata);
    if (md.encoding) throw new Error(`put: checkpoint metadata must serialize to JSON (the serializer gave "${md.encoding}").`);
    const record: LangGraphRecord = {
      v: checkpoint.v,
      ts: checkpoint.ts,
      channelVersions: checkpoint.channel_versions,
      versionsSeen: checkpoint.versions_seen,
      metadata: md.value,
      ...(Object.keys(encodings).length ? { encodings } : {}),
    };
    const source = SOURCES[String(metadata.source)] ?? "loop";
    const step = Number.isInteger(metadata.step) ? metadata.step : (parent?.step ?? -2) + 1;
    const saved = await this.store.save(
      {
        id: checkpoint.id,
        threadId,
        namespace: ns,
        parentId,
        step,
        nodeName: NODE_FOR_SOURCE[source] ?? nodesThatRan(checkpoint.versions_seen, parentRecord?.versionsSeen).join(","),
        state,
        next: [],
        interrupts: [],
        pendingWrites: [],
        // The channels the step changed, by name (their values are in `state`): what the dashboard's timeline lists.
        metadata: {
          ...shownMetadata(metadata),
          source,
          writes: Object.keys(newVersions).map((channel) => ({ node: "", channel, value: null })),
          langgraph: record,
          ...filterCopies(md.value),
        },
        timestamp: Number.isNaN(Date.parse(checkpoint.ts)) ? new Date().toISOString() : checkpoint.ts,
      },
      this.saveOptions(threadId),
    );
    this.remember(saved);
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: LgPendingWrite[], taskId: string, taskPath = ""): Promise<void> {
    const threadId = threadOf(config, "putWrites");
    const ns = nsOf(config);
    const checkpointId = config.configurable?.checkpoint_id as string | undefined;
    if (!checkpointId) throw new Error(`putWrites: the config has no "checkpoint_id" in "configurable".`);
    const encoded = await Promise.all(writes.map(([, value]) => encodeValue(this.serde, value)));
    // Thread and namespace never change, so a recently put copy is as good as a load for this check.
    if (!(await this.loadIn(checkpointId, threadId, ns, true)) && !(await this.arrival(checkpointId, threadId, ns)))
      throw new Error(`putWrites: checkpoint ${checkpointId} is not in thread ${threadId} (namespace "${ns}").`);
    // LangGraph's idx: the write's position in the call, or the special channel's fixed negative index.
    const at = new Map<number, number>();
    const taskWrites: TaskWrite[] = [];
    writes.forEach(([channel], i) => {
      const idx = WRITES_IDX_MAP[channel] ?? i;
      const { value, encoding } = encoded[i];
      const tw: TaskWrite = { idx, channel, value, taskPath, ...(encoding ? { encoding } : {}) };
      // A special channel twice in one call: the later one replaces the earlier, as LangGraph's savers do.
      if (at.has(idx)) taskWrites[at.get(idx)!] = tw;
      else at.set(idx, taskWrites.push(tw) - 1);
    });
    await this.store.appendWrites(checkpointId, taskId, taskWrites);
  }

  async deleteThread(threadId: string): Promise<void> {
    assertSafeId(threadId, "thread");
    await this.store.clear(threadId);
    for (const [id, cp] of this.recent) if (cp.threadId === threadId) this.recent.delete(id);
  }

  /**
   * The checkpoint if it is a LangGraph checkpoint of this thread and namespace; undefined otherwise.
   * `cached`: a recently put copy will do (its state and record, never its pending writes, which change).
   */
  private async loadIn(id: string, threadId: string, ns: string, cached = false): Promise<Checkpoint | undefined> {
    if (!isSafeId(id)) return undefined;
    let cp = cached ? this.recent.get(id) : undefined;
    if (!cp) {
      try {
        cp = await this.store.load(id);
      } catch (e) {
        if (isWaypointError(e, "CHECKPOINT_NOT_FOUND")) return undefined;
        throw e;
      }
    }
    return cp.threadId === threadId && langGraphRecord(cp) && namespaceOf(cp) === ns ? cp : undefined;
  }

  /**
   * A thread Waypoint's own engine wrote is not continued by LangGraph: the two read state differently, and the
   * engine's checkpoints are invisible to the saver (getTuple gives undefined), so a graph invoked on such a
   * thread id would otherwise start a second, unrelated history inside it. Checked on a thread's root put only.
   */
  private async refuseEngineThread(threadId: string): Promise<void> {
    const latest = await this.store.latest(threadId);
    if (latest && !langGraphRecord(latest))
      throw new Error(`put: thread ${threadId} holds checkpoints of a Waypoint graph, not of a LangGraph.js graph; use another thread_id.`);
  }

  /**
   * With LangGraph's default durability ("async") a step's putWrites can come before the put of its checkpoint,
   * which LangGraph chains behind earlier saves: wait for that put (through this saver) a little, then look again.
   */
  private async arrival(id: string, threadId: string, ns: string): Promise<Checkpoint | undefined> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ARRIVAL_MS);
      const waiting = this.arrivals.get(id) ?? [];
      waiting.push(done);
      this.arrivals.set(id, waiting);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
    this.arrivals.delete(id);
    return this.loadIn(id, threadId, ns, true);
  }

  private remember(cp: Checkpoint): void {
    for (const wake of this.arrivals.get(cp.id) ?? []) wake();
    this.recent.delete(cp.id);
    this.recent.set(cp.id, cp);
    if (this.recent.size > CACHE_SIZE) this.recent.delete(this.recent.keys().next().value!);
  }

  /** Every thread id in the store (for `list` without a thread). */
  private async *allThreads(): AsyncGenerator<string> {
    let cursor: string | null = null;
    do {
      const page = await this.store.listThreads({ limit: 500, cursor });
      for (const t of page.threads) yield t.threadId;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /**
   * A thread's LangGraph checkpoints in `ns` (any namespace when undefined) matching the store-side metadata
   * filter, newest first. Namespace and metadata are filtered by the store, id conditions on summaries (no state
   * read); the rest are loaded a page at a time and skipped when written by Waypoint's own engine (or, saved
   * before issue 12 with the namespace only in their record, when in another namespace).
   */
  private async *scan(
    threadId: string,
    ns: string | undefined,
    ids?: { onlyId?: string; beforeId?: string },
    metadata?: Record<string, string | number | boolean>,
  ): AsyncGenerator<Checkpoint> {
    const filter = { ...(ns !== undefined && { namespace: ns }), ...(metadata && { metadata }) };
    const summaries = await this.store.listSummaries(threadId, { order: "desc", ...filter });
    const wanted = summaries.filter((s) => (!ids?.onlyId || s.id === ids.onlyId) && (!ids?.beforeId || s.id < ids.beforeId));
    for (let i = 0; i < wanted.length; i += PAGE) {
      const page = wanted.slice(i, i + PAGE);
      // One query per page: the version window of the page (strict bounds), then only the wanted ids are kept.
      const cps = await this.store.list(threadId, {
        order: "desc",
        before: page[0].version + 1,
        after: page[page.length - 1].version - 1,
        ...filter,
      });
      const keep = new Set(page.map((s) => s.id));
      for (const cp of cps) if (keep.has(cp.id) && langGraphRecord(cp) && (ns === undefined || namespaceOf(cp) === ns)) yield cp;
    }
  }

  private async loadAny(id: string): Promise<Checkpoint[]> {
    try {
      return [await this.store.load(id)];
    } catch (e) {
      if (isWaypointError(e, "CHECKPOINT_NOT_FOUND")) return [];
      throw e;
    }
  }

  private async toTuple(cp: Checkpoint): Promise<CheckpointTuple> {
    const r = langGraphRecord(cp)!;
    const channel_values: Record<string, unknown> = {};
    for (const [channel, value] of Object.entries(cp.state)) channel_values[channel] = await decodeValue(this.serde, value, r.encodings?.[channel]);
    const checkpoint: LgCheckpoint = {
      v: r.v,
      id: cp.id,
      ts: r.ts,
      channel_values,
      channel_versions: { ...r.channelVersions },
      versions_seen: r.versionsSeen,
    };
    const configurable = { thread_id: cp.threadId, checkpoint_ns: namespaceOf(cp) };
    const tuple: CheckpointTuple = {
      config: { configurable: { ...configurable, checkpoint_id: cp.id } },
      checkpoint,
      metadata: (await decodeValue(this.serde, r.metadata, undefined)) as LgMetadata,
      pendingWrites: await this.pendingWrites(cp),
    };
    if (cp.parentId) {
      tuple.parentConfig = { configurable: { ...configurable, checkpoint_id: cp.parentId } };
      // Checkpoints before format 4 kept pending sends as the parent's TASKS writes (LangGraph's own migration).
      if (r.v < 4) await this.migratePendingSends(checkpoint, cp.parentId);
    }
    return tuple;
  }

  /** Pending writes in LangGraph's replay order: (task path, task id, idx). */
  private async pendingWrites(cp: Checkpoint): Promise<CheckpointPendingWrite[]> {
    const writes = (cp.pendingWrites as LangGraphWrite[])
      .map((w) => ({ w, key: writesSortKey(w.taskPath ?? "", w.node, w.idx ?? 0) }))
      .sort((a, b) => compareWritesSortKeys(a.key, b.key));
    return Promise.all(
      writes.map(async ({ w }) => [w.node, w.channel, await decodeValue(this.serde, w.value, w.encoding)] as CheckpointPendingWrite),
    );
  }

  private async migratePendingSends(checkpoint: LgCheckpoint, parentId: string): Promise<void> {
    const parent = await this.loadAny(parentId);
    if (!parent[0]) return;
    const sends = (await this.pendingWrites(parent[0])).filter(([, channel]) => channel === TASKS).map(([, , value]) => value);
    checkpoint.channel_values[TASKS] = sends;
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }
}
