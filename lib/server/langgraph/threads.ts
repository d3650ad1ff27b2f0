import "server-only";
import { v7 as uuidv7 } from "uuid";
import { z } from "zod";
import type { Checkpoint, ThreadInfo, ThreadStatus } from "../../checkpoint/types";
import type { Caller } from "../auth/caller";
import type { Runtime } from "../runtime";
import { deleteThread, editState } from "../threads";
import { lgError } from "./http";
import { contains, lgEmptyState, lgState, lgStatus, lgThread, lgThreadMetadata, waypointStatuses, type LgThreadStatus } from "./mapping";
import { RUNS_KEY, withRuns } from "./records";

/**
 * Threads, state and history of the protocol, on the same store records the native API and dashboard show.
 * Edits go through the native `editState` (authorization, audit, events); the rest reads the store directly.
 */
const Obj = z.record(z.string(), z.unknown());
const Status = z.enum(["idle", "busy", "interrupted", "error"]);

export async function readableThread(rt: Runtime, who: Caller, threadId: string): Promise<ThreadInfo> {
  const t = await rt.store.getThread(threadId);
  who.authorize("read", t.graphId);
  return t;
}

const headOf = (rt: Runtime, t: ThreadInfo) => (t.headCheckpointId ? rt.store.load(t.headCheckpointId).catch(() => null) : Promise.resolve(null));

export async function threadOut(rt: Runtime, t: ThreadInfo) {
  return lgThread(t, await headOf(rt, t));
}

/** Metadata a client sets, without the keys the protocol derives (graph_id, assistant_id) or reserves. */
function clientMetadata(m: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const { graph_id: _g, assistant_id: _a, [RUNS_KEY]: _r, ...rest } = m ?? {};
  return rest;
}

export const CreateThread = z.object({
  thread_id: z.string().min(1).max(128).nullish(),
  metadata: Obj.nullish(),
  if_exists: z.enum(["raise", "do_nothing"]).nullish(),
  supersteps: z.array(z.unknown()).nullish(),
});

/**
 * A thread, possibly before its graph is known (the SDK's `graphId` arrives as `metadata.graph_id`; otherwise
 * the first run's assistant binds it). Creating is an operator's action, as in the native API.
 */
export async function createLgThread(rt: Runtime, who: Caller, body: z.infer<typeof CreateThread>) {
  let graphId = typeof body.metadata?.graph_id === "string" && rt.graphs.has(body.metadata.graph_id) ? body.metadata.graph_id : null;
  // A caller limited to one graph gets its thread bound to it at once (it could not read an unbound thread).
  const scope = who.principal.graphs;
  if (graphId === null && scope?.length === 1 && rt.graphs.has(scope[0])) graphId = scope[0];
  who.authorize("run", graphId ?? undefined);
  if (body.supersteps?.length) throw lgError(422, "supersteps are not supported; create the thread, then update its state.");
  const threadId = body.thread_id ?? uuidv7();
  const existing = await rt.store.getThread(threadId).catch(() => null);
  if (existing) {
    if (body.if_exists === "do_nothing") return threadOut(rt, await readableThread(rt, who, threadId));
    throw lgError(409, `Thread "${threadId}" already exists.`);
  }
  const t = await rt.store.updateThread(threadId, { graphId, status: "idle", metadata: clientMetadata(body.metadata) });
  await who.audit({ action: "thread_create", threadId, graphId, detail: { via: "langgraph" } });
  return lgThread(t, null);
}

export async function patchLgThread(rt: Runtime, who: Caller, threadId: string, metadata: Record<string, unknown> | null | undefined) {
  const t = await readableThread(rt, who, threadId);
  who.authorize("edit", t.graphId);
  // Merged into the stored metadata, as the reference server does; the run records stay.
  const next = await rt.store.updateThread(threadId, { metadata: withRuns(t.metadata, { ...t.metadata, ...clientMetadata(metadata) }) });
  return threadOut(rt, next);
}

export async function deleteLgThread(rt: Runtime, who: Caller, threadId: string) {
  await readableThread(rt, who, threadId);
  await deleteThread(rt, who, threadId);
}

export const SearchThreads = z.object({
  ids: z.array(z.string()).nullish(),
  metadata: Obj.nullish(),
  values: Obj.nullish(),
  status: Status.nullish(),
  limit: z.number().int().min(1).max(1000).nullish(),
  offset: z.number().int().min(0).nullish(),
  sort_by: z.enum(["thread_id", "status", "created_at", "updated_at", "state_updated_at"]).nullish(),
  sort_order: z.enum(["asc", "desc"]).nullish(),
});
type Search = z.infer<typeof SearchThreads>;

/** At most this many threads are scanned per search (the store lists by update time; filters run here). */
const SCAN_LIMIT = 10_000;

async function matching(rt: Runtime, who: Caller, q: Search): Promise<ThreadInfo[]> {
  const statuses: ThreadStatus[] | null = q.status ? waypointStatuses(q.status as LgThreadStatus) : null;
  const out: ThreadInfo[] = [];
  let cursor: string | null = null;
  let scanned = 0;
  do {
    const page = await rt.store.listThreads({ limit: 500, cursor, ...(statuses?.length === 1 ? { status: statuses[0] } : {}) });
    scanned += page.threads.length;
    for (const t of page.threads) {
      if (!who.can("read", t.graphId)) continue;
      if (statuses && !statuses.includes(t.status)) continue;
      if (q.ids && !q.ids.includes(t.threadId)) continue;
      if (q.metadata && !contains(lgThreadMetadata(t), q.metadata)) continue;
      out.push(t);
    }
    cursor = page.nextCursor;
  } while (cursor && scanned < SCAN_LIMIT);
  if (!q.values) return out;
  const heads = await Promise.all(out.map((t) => headOf(rt, t)));
  return out.filter((_, i) => contains(heads[i]?.state ?? {}, q.values));
}

export async function searchThreads(rt: Runtime, who: Caller, q: Search) {
  const list = await matching(rt, who, q);
  const key = q.sort_by ?? "updated_at";
  const dir = (q.sort_order ?? "desc") === "desc" ? -1 : 1;
  const val = (t: ThreadInfo) =>
    key === "thread_id" ? t.threadId : key === "status" ? lgStatus(t.status) : key === "created_at" ? t.createdAt : t.updatedAt;
  list.sort((a, b) => (val(a) < val(b) ? -1 : val(a) > val(b) ? 1 : 0) * dir);
  const offset = q.offset ?? 0;
  const page = list.slice(offset, offset + (q.limit ?? 10));
  return { total: list.length, threads: await Promise.all(page.map((t) => threadOut(rt, t))) };
}

export const countThreads = async (rt: Runtime, who: Caller, q: Search) => (await matching(rt, who, q)).length;

/**
 * `POST /threads/:id/copy`: the whole history into a new thread, checkpoint by checkpoint (new ids, the same
 * tree, values, interrupts and times), so the copy can be continued or forked from any of its checkpoints.
 */
export async function copyThread(rt: Runtime, who: Caller, threadId: string) {
  const t = await readableThread(rt, who, threadId);
  who.authorize("fork", t.graphId);
  const newId = uuidv7();
  const ids = new Map<string, string>();
  for (const cp of await rt.store.list(threadId, { order: "asc" })) {
    const id = uuidv7();
    ids.set(cp.id, id);
    const { version: _v, ...rest } = cp;
    await rt.store.save({
      ...rest,
      id,
      threadId: newId,
      parentId: cp.parentId ? (ids.get(cp.parentId) ?? null) : null,
      metadata: { ...cp.metadata, copiedFrom: { threadId, checkpointId: cp.id } },
    });
  }
  const error = t.error ? { ...t.error, checkpointId: t.error.checkpointId ? (ids.get(t.error.checkpointId) ?? null) : null } : null;
  const { [RUNS_KEY]: _runs, ...metadata } = t.metadata;
  const copy = await rt.store.updateThread(newId, {
    graphId: t.graphId,
    status: t.status === "running" ? "idle" : t.status,
    error,
    metadata: { ...metadata, copiedFrom: { threadId } },
  });
  await who.audit({
    action: "fork",
    threadId: newId,
    graphId: t.graphId,
    checkpointBefore: t.headCheckpointId,
    checkpointAfter: copy.headCheckpointId,
    detail: { fromThread: threadId, copy: true },
  });
  return threadOut(rt, copy);
}

async function checkpointIn(rt: Runtime, threadId: string, checkpointId: string): Promise<Checkpoint> {
  const cp = await rt.store.load(checkpointId).catch(() => null);
  if (!cp || cp.threadId !== threadId) throw lgError(404, `Checkpoint "${checkpointId}" was not found on thread "${threadId}".`);
  return cp;
}

export async function lgStateOf(rt: Runtime, who: Caller, threadId: string, checkpointId?: string | null) {
  const t = await readableThread(rt, who, threadId);
  const cp = checkpointId ? await checkpointIn(rt, threadId, checkpointId) : await headOf(rt, t);
  return cp ? lgState(cp, t) : lgEmptyState(threadId);
}

const CheckpointRef = z.object({ checkpoint_id: z.string().nullish() });
export const UpdateState = z.object({
  values: z.union([Obj, z.array(z.unknown()), z.null()]).optional(),
  as_node: z.string().nullish(),
  checkpoint_id: z.string().nullish(),
  checkpoint: CheckpointRef.nullish(),
});

/** `POST /threads/:id/state`: a human edit (on an old checkpoint: a new branch), as the native edit. */
export async function updateLgState(rt: Runtime, who: Caller, threadId: string, body: z.infer<typeof UpdateState>) {
  const t = await readableThread(rt, who, threadId);
  if (!t.graphId)
    throw lgError(409, `Thread "${threadId}" has no graph yet: run it once (or create it with metadata.graph_id) before editing its state.`);
  if (Array.isArray(body.values)) throw lgError(422, "values: give an object of channel values.");
  const checkpointId = body.checkpoint_id ?? body.checkpoint?.checkpoint_id ?? undefined;
  const out = await editState(rt, who, threadId, {
    values: body.values ?? {},
    ...(body.as_node ? { asNode: body.as_node } : {}),
    ...(checkpointId ? { checkpointId } : {}),
  });
  const ref = { thread_id: threadId, checkpoint_ns: "", checkpoint_id: out.checkpoint.checkpointId };
  return { checkpoint: ref, configurable: ref };
}

// The config form first: every field of a bare checkpoint is optional, so it would match a config and drop it.
const Before = z.union([z.string(), z.object({ configurable: CheckpointRef }), CheckpointRef]);
export const HistoryBody = z.object({
  limit: z.number().int().min(1).max(1000).nullish(),
  before: Before.nullish(),
  metadata: Obj.nullish(),
  checkpoint: CheckpointRef.nullish(),
});

const idOf = (b: z.infer<typeof Before> | null | undefined): string | null =>
  b == null ? null : typeof b === "string" ? b : "configurable" in b ? (b.configurable.checkpoint_id ?? null) : (b.checkpoint_id ?? null);

/**
 * Newest first. Without `checkpoint`: the whole thread by version, `before` a checkpoint (older ones only).
 * With it: only that checkpoint's branch (it and its ancestors). `metadata` filters by containment.
 */
export async function lgHistory(rt: Runtime, who: Caller, threadId: string, q: z.infer<typeof HistoryBody>) {
  const t = await readableThread(rt, who, threadId);
  const limit = q.limit ?? 10;
  const beforeId = idOf(q.before);
  const from = q.checkpoint?.checkpoint_id ?? null;
  const keep = (cp: Checkpoint) => !q.metadata || contains(lgState(cp, t).metadata, q.metadata);
  const out: Checkpoint[] = [];
  if (from) {
    let cp: Checkpoint | null = await checkpointIn(rt, threadId, from);
    if (beforeId) {
      const b = await checkpointIn(rt, threadId, beforeId);
      cp = b.parentId ? await rt.store.load(b.parentId) : null;
    }
    while (cp && out.length < limit) {
      if (keep(cp)) out.push(cp);
      cp = cp.parentId ? await rt.store.load(cp.parentId) : null;
    }
  } else {
    let before = beforeId ? (await checkpointIn(rt, threadId, beforeId)).version : undefined;
    for (;;) {
      const page = await rt.store.list(threadId, { order: "desc", limit: q.metadata ? 200 : limit, ...(before !== undefined ? { before } : {}) });
      for (const cp of page) if (out.length < limit && keep(cp)) out.push(cp);
      if (out.length >= limit || page.length === 0 || !q.metadata) break;
      before = page[page.length - 1].version;
    }
  }
  return out.map((cp) => lgState(cp, t));
}
