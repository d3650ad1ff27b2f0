import "server-only";
import diff from "microdiff";
import { v7 as uuidv7 } from "uuid";
import { checkpointNotFound } from "../errors";
import type { Checkpoint, CheckpointSummary, ThreadInfo, ThreadStatus } from "../checkpoint/types";
import { withThreadLock } from "../engine/thread-lock";
import type { ResumeCommand, State } from "../engine/types";
import { HttpError, zodMessage } from "./http";
import type { Runtime } from "./runtime";
import { apiCheckpoint, apiSummary, apiThread, type ApiThread } from "./serialize";

/**
 * Thread services behind the routes. Everything is validated before anything is written, so a refused
 * request changes nothing.
 */
export async function threadView(rt: Runtime, threadOrId: ThreadInfo | string): Promise<ApiThread> {
  const t = typeof threadOrId === "string" ? await rt.store.getThread(threadOrId) : threadOrId;
  const head = t.status === "interrupted" && t.headCheckpointId ? await rt.store.load(t.headCheckpointId).catch(() => null) : null;
  const run = rt.runs.activeRun(t.threadId);
  return apiThread(t, head, run && { runId: run.runId, startedAt: run.startedAt });
}

export function graphSummary(rt: Runtime, graphId: string) {
  const def = rt.graphs.definition(graphId);
  return {
    graphId: def.id,
    title: def.title,
    description: def.description,
    exampleInput: def.exampleInput,
    failureHint: def.failureHint,
    structure: rt.graphs.compile(def.id).describe(),
  };
}

/** The graph's own input check (defaults filled in); a rejection is a 422 and nothing is saved. */
function checkInput(rt: Runtime, graphId: string, input: unknown): State {
  const parsed = rt.graphs.definition(graphId).input.safeParse(input);
  if (!parsed.success) throw new HttpError(422, "INVALID_STATE", `Input rejected by graph "${graphId}": ${zodMessage(parsed.error)}`);
  return parsed.data;
}

export async function createThread(rt: Runtime, body: { graphId: string; input?: Record<string, unknown>; metadata?: Record<string, unknown> }) {
  rt.graphs.definition(body.graphId);
  const input = body.input !== undefined ? checkInput(rt, body.graphId, body.input) : null;
  const threadId = uuidv7();
  let thread = await rt.store.updateThread(threadId, { graphId: body.graphId, status: "idle", metadata: body.metadata ?? {} });
  if (input) {
    await rt.runs.start(threadId, body.graphId, { input });
    thread = await rt.store.getThread(threadId);
  }
  return threadView(rt, thread);
}

export async function listThreads(rt: Runtime, q: { status?: ThreadStatus; graphId?: string; limit?: number; cursor?: string }) {
  const page = await rt.store.listThreads({ status: q.status, graphId: q.graphId, limit: q.limit, cursor: q.cursor ?? null });
  return { threads: await Promise.all(page.threads.map((t) => threadView(rt, t))), nextCursor: page.nextCursor };
}

export async function deleteThread(rt: Runtime, threadId: string): Promise<void> {
  await rt.store.getThread(threadId);
  await rt.runs.cancel(threadId);
  // Under the run lock, so a run in another process is never deleted from under it (THREAD_BUSY → 409).
  await withThreadLock(rt.store, threadId, 15_000, () => rt.store.clear(threadId));
  rt.bus.publish({ type: "thread_updated", threadId, reason: "deleted" });
}

function knownGraph(rt: Runtime, t: ThreadInfo): string {
  if (!t.graphId || !rt.graphs.has(t.graphId))
    throw new HttpError(422, "GRAPH_NOT_FOUND", `Thread "${t.threadId}" belongs to graph "${t.graphId}", which this server does not have.`);
  return t.graphId;
}

export async function startRun(
  rt: Runtime,
  threadId: string,
  body: { input?: Record<string, unknown>; checkpointId?: string; command?: ResumeCommand; wait?: boolean },
) {
  const t = await rt.store.getThread(threadId);
  const graphId = knownGraph(rt, t);
  const input = body.input !== undefined ? checkInput(rt, graphId, body.input) : null;
  if (!input && !t.headCheckpointId)
    throw new HttpError(400, "INVALID_BODY", `Thread "${threadId}" has not started yet: give an input for its first run.`);
  if (body.checkpointId !== undefined) await checkpointOf(rt, threadId, body.checkpointId);
  const { run, finished } = await rt.runs.start(threadId, graphId, { input, checkpointId: body.checkpointId, command: body.command });
  if (!body.wait) return { status: 202, body: { run, thread: await threadView(rt, threadId) } };
  const ended = await finished;
  return { status: 200, body: { run: ended, thread: await threadView(rt, threadId), state: await stateOf(rt, threadId) } };
}

async function checkpointOf(rt: Runtime, threadId: string, checkpointId: string): Promise<Checkpoint> {
  const cp = await rt.store.load(checkpointId);
  if (cp.threadId !== threadId) throw checkpointNotFound(checkpointId);
  return cp;
}

export async function stateOf(rt: Runtime, threadId: string, checkpointId?: string) {
  const t = await rt.store.getThread(threadId);
  const cp = checkpointId !== undefined ? await checkpointOf(rt, threadId, checkpointId) : t.headCheckpointId ? await rt.store.load(t.headCheckpointId) : null;
  if (!cp) return { values: {}, next: [], interrupts: [], checkpoint: null };
  return { values: cp.state, next: cp.next, interrupts: cp.interrupts, checkpoint: apiCheckpoint(cp) };
}

export async function editState(
  rt: Runtime,
  threadId: string,
  body: { values: Record<string, unknown>; asNode?: string; checkpointId?: string; actor?: string; reason?: string },
) {
  const graphId = knownGraph(rt, await rt.store.getThread(threadId));
  const { values, ...opts } = body;
  const cp = await rt.graphs.compile(graphId).updateState(threadId, values, opts);
  rt.bus.publish({ type: "checkpoint", threadId, checkpoint: apiCheckpoint(cp, "summary") });
  rt.bus.publish({ type: "thread_updated", threadId, reason: "edit" });
  return { checkpoint: apiCheckpoint(cp), thread: await threadView(rt, threadId) };
}

export async function forkThread(
  rt: Runtime,
  threadId: string,
  body: { checkpointId: string; values?: Record<string, unknown>; asNode?: string; newThread?: boolean | string; actor?: string; reason?: string },
) {
  const graphId = knownGraph(rt, await rt.store.getThread(threadId));
  const newThreadId = body.newThread === true ? uuidv7() : typeof body.newThread === "string" ? body.newThread : undefined;
  if (newThreadId !== undefined && newThreadId !== threadId) {
    const exists = await rt.store.getThread(newThreadId).then(() => true, () => false);
    if (exists) throw new HttpError(409, "INVALID_ARGUMENT", `Thread "${newThreadId}" already exists; fork into a new thread id.`);
  }
  const cp = await rt.graphs.compile(graphId).fork(threadId, body.checkpointId, {
    values: body.values,
    asNode: body.asNode,
    newThreadId: newThreadId === threadId ? undefined : newThreadId,
    actor: body.actor,
    reason: body.reason,
  });
  rt.bus.publish({ type: "checkpoint", threadId: cp.threadId, checkpoint: apiCheckpoint(cp, "summary") });
  rt.bus.publish({ type: "thread_updated", threadId: cp.threadId, reason: "fork" });
  return { checkpoint: apiCheckpoint(cp), thread: await threadView(rt, cp.threadId) };
}

/**
 * Newest first. Without `checkpointId`: the whole thread by version (`before` = a version, as given in
 * `nextCursor`). With it: only that checkpoint's branch, walking parent links (`before` = a checkpoint id).
 */
export async function history(
  rt: Runtime,
  threadId: string,
  q: { limit: number; before?: string; checkpointId?: string; fields: "full" | "summary" },
) {
  await rt.store.getThread(threadId);
  if (q.checkpointId === undefined) {
    const before = q.before === undefined ? undefined : Number(q.before);
    if (before !== undefined && !Number.isInteger(before))
      throw new HttpError(400, "INVALID_QUERY", "before: expected a version number (the nextCursor of the previous page).");
    const opts = { order: "desc" as const, limit: q.limit + 1, before };
    const list = q.fields === "summary" ? (await rt.store.listSummaries(threadId, opts)).map(apiSummary) : (await rt.store.list(threadId, opts)).map((c) => apiCheckpoint(c));
    const page = list.slice(0, q.limit);
    return { checkpoints: page, nextCursor: list.length > q.limit ? String(page[page.length - 1].version) : null };
  }
  if (q.fields === "summary") return branchSummaries(rt, threadId, q.checkpointId, q.before, q.limit);
  let cp: Checkpoint | null = await checkpointOf(rt, threadId, q.checkpointId);
  if (q.before !== undefined) {
    const from = await checkpointOf(rt, threadId, q.before);
    cp = from.parentId ? await rt.store.load(from.parentId) : null;
  }
  const out: Checkpoint[] = [];
  while (cp && out.length < q.limit) {
    out.push(cp);
    cp = cp.parentId ? await rt.store.load(cp.parentId) : null;
  }
  return { checkpoints: out.map((c) => apiCheckpoint(c, q.fields)), nextCursor: cp && out.length ? out[out.length - 1].id : null };
}

/** A branch in summary form: one summary listing of the thread (no states read), walked by parent links. */
async function branchSummaries(rt: Runtime, threadId: string, checkpointId: string, before: string | undefined, limit: number) {
  await checkpointOf(rt, threadId, checkpointId);
  if (before !== undefined) await checkpointOf(rt, threadId, before);
  const byId = new Map((await rt.store.listSummaries(threadId)).map((s) => [s.id, s]));
  let cur = byId.get(before ?? checkpointId);
  if (before !== undefined) cur = cur?.parentId ? byId.get(cur.parentId) : undefined;
  const out: CheckpointSummary[] = [];
  while (cur && out.length < limit) {
    out.push(cur);
    cur = cur.parentId ? byId.get(cur.parentId) : undefined;
  }
  return { checkpoints: out.map(apiSummary), nextCursor: cur && out.length ? out[out.length - 1].id : null };
}

export async function getCheckpoint(rt: Runtime, threadId: string, checkpointId: string) {
  return apiCheckpoint(await checkpointOf(rt, threadId, checkpointId));
}

/** The changes from `against` (default: the parent; none: an empty state) to the checkpoint, path by path. */
export async function diffCheckpoint(rt: Runtime, threadId: string, checkpointId: string, against?: string) {
  const cp = await checkpointOf(rt, threadId, checkpointId);
  const otherId = against ?? cp.parentId;
  // The other side may be in another thread (a fork copied into a new thread diffs against its source).
  const other = otherId ? await rt.store.load(otherId) : null;
  const changes = diff(other?.state ?? {}, cp.state).map((d) => ({
    path: d.path,
    type: d.type.toLowerCase() as "create" | "remove" | "change",
    before: "oldValue" in d ? d.oldValue : undefined,
    after: "value" in d ? d.value : undefined,
  }));
  return { checkpointId: cp.id, againstId: other?.id ?? null, changes };
}
