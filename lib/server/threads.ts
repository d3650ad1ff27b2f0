import "server-only";
import { v7 as uuidv7 } from "uuid";
import { WaypointError, checkpointNotFound } from "../errors";
import type { Checkpoint, CheckpointSummary, ThreadInfo } from "../checkpoint/types";
import { withThreadLock } from "../engine/thread-lock";
import { encodeThreadCursor } from "../checkpoint/validate";
import type { State } from "../engine/types";
import { zodMessage } from "./http";
import type { Runtime } from "./runtime";
import type { Caller } from "./auth/caller";
import type { CreateThreadBody, EditStateBody, ForkBody, HistoryQuery, ListThreadsQuery, RunBody } from "../api/requests";
import { decideWithQuorum, guardQuorum, quorumView } from "./quorum";
import { refuseRunAtDecision, runFork } from "./fork-run";
import { startWithStrategy } from "./multitask";
import type { RunRequest } from "./run-request";
import type { RunInfo } from "./runs";
import { apiCheckpoint, apiStorage, apiSummary, apiThread } from "./serialize";
import { foreignView, readOnlyThread, writtenByLangGraph } from "./runnable/foreign";
import { langGraphView } from "./runnable/lg-view";
import type { ApiDeleted, ApiGraph, ApiGraphList, ApiHistoryPage, ApiRunResult, ApiState, ApiThread, ApiThreadPage } from "../api/responses";

/**
 * Thread services behind the routes. Everything is validated before anything is written, so a refused
 * request changes nothing.
 */
export async function threadView(rt: Runtime, threadOrId: ThreadInfo | string): Promise<ApiThread> {
  const stored = typeof threadOrId === "string" ? await rt.store.getThread(threadOrId) : threadOrId;
  const runnable = stored.graphId && rt.graphs.has(stored.graphId) ? rt.graphs.compile(stored.graphId) : null;
  // A thread of a graph this server lacks: its head says whether LangGraph.js wrote it (then shown read-only).
  const load = (stored.status === "interrupted" || !runnable) && stored.headCheckpointId;
  const raw = load ? await rt.store.load(stored.headCheckpointId!).catch(() => null) : null;
  const { thread: t, head, readOnly } = foreignView(stored, raw, runnable);
  const run = rt.runs.activeRun(t.threadId);
  const view = apiThread(t, head, run && { runId: run.runId, startedAt: run.startedAt });
  const quorum = head && runnable ? await quorumView(rt, t, head) : null;
  return { ...view, ...(quorum ? { quorum } : {}), ...(readOnly ? { readOnly } : {}) };
}

/** The thread, once the caller may read its graph (403 otherwise). */
export async function readable(rt: Runtime, who: Caller, threadId: string): Promise<ThreadInfo> {
  const t = await rt.store.getThread(threadId);
  who.authorize("read", t.graphId);
  return t;
}

/** One thread, with how many runs wait behind its current one (multitaskStrategy "enqueue") when there are any. */
export async function threadFor(rt: Runtime, who: Caller, threadId: string): Promise<ApiThread> {
  const [view, queuedRuns] = await Promise.all([threadView(rt, await readable(rt, who, threadId)), rt.queue.count(threadId)]);
  return queuedRuns ? { ...view, queuedRuns } : view;
}

export function graphSummary(rt: Runtime, graphId: string): ApiGraph {
  const def = rt.graphs.definition(graphId);
  return {
    graphId: def.id,
    title: def.title,
    description: def.description,
    exampleInput: def.exampleInput,
    failureHint: def.failureHint,
    ...(def.progress ? { progress: def.progress } : {}),
    structure: rt.graphs.compile(def.id).describe(),
  };
}

/** GET /api/graphs: every registered graph the server can run. */
export function listGraphs(rt: Runtime): ApiGraphList {
  return { graphs: rt.graphs.list().map((g) => graphSummary(rt, g.id)) };
}

/** The graph's own input check (defaults filled in); a rejection is a 422 and nothing is saved. */
function checkInput(rt: Runtime, graphId: string, input: unknown): State {
  const parsed = rt.graphs.definition(graphId).input.safeParse(input);
  if (!parsed.success) throw new WaypointError("INVALID_STATE", `Input rejected by graph "${graphId}": ${zodMessage(parsed.error)}`);
  return parsed.data;
}

export async function createThread(rt: Runtime, who: Caller, body: CreateThreadBody) {
  who.authorize("run", body.graphId);
  rt.graphs.definition(body.graphId);
  const input = body.input !== undefined ? checkInput(rt, body.graphId, body.input) : null;
  const threadId = uuidv7();
  let thread = await rt.store.updateThread(threadId, { graphId: body.graphId, status: "idle", metadata: body.metadata ?? {} });
  if (input) {
    await rt.runs.start(threadId, body.graphId, { input, metadata: who.actorMeta });
    thread = await rt.store.getThread(threadId);
  }
  await who.audit({
    action: "thread_create",
    threadId,
    graphId: body.graphId,
    checkpointAfter: thread.headCheckpointId,
    detail: { input: body.input ?? null },
  });
  return threadView(rt, thread);
}

export async function listThreads(rt: Runtime, who: Caller, q: ListThreadsQuery): Promise<ApiThreadPage> {
  const scope = who.principal.graphs;
  if (scope !== null && q.graphId === undefined && scope.length === 1) q = { ...q, graphId: scope[0] };
  if (scope !== null && q.graphId !== undefined && !scope.includes(q.graphId)) return { threads: [], nextCursor: null };
  const limit = q.limit ?? 50;
  // A caller limited to several graphs: filter pages until one is full (bounded, so a sparse scope stays cheap).
  const out: ThreadInfo[] = [];
  let cursor = q.cursor ?? null;
  for (let pages = 0; pages < 20; pages++) {
    const page = await rt.store.listThreads({ status: q.status, graphId: q.graphId, query: q.query, sort: q.sort, limit, cursor });
    out.push(...page.threads.filter((t) => who.can("read", t.graphId)));
    cursor = page.nextCursor;
    if (!cursor || out.length >= limit) break;
  }
  const threads = out.slice(0, limit);
  const next = out.length > limit ? threadCursor(threads[threads.length - 1]) : cursor;
  return { threads: await Promise.all(threads.map((t) => listItem(rt, t))), nextCursor: next };
}

/**
 * A thread as the list shows it: for a waiting thread, the head's summary (where it waits) rather than the whole
 * checkpoint — the list refreshes every few seconds and must not read every waiting thread's state to do so.
 * The interrupts' payloads come with GET /api/threads/:id.
 */
async function listItem(rt: Runtime, t: ThreadInfo): Promise<ApiThread> {
  // LangGraph.js threads (their interrupts are derived from the head, not in its summary) and threads of graphs
  // this server lacks (maybe LangGraph.js, shown read-only) are served as threadView serves them.
  const runnable = t.graphId && rt.graphs.has(t.graphId) ? rt.graphs.compile(t.graphId) : null;
  if (!runnable || (!runnable.summariesShowInterrupts && t.status === "interrupted")) return threadView(rt, t);
  const head = t.status === "interrupted" ? ((await rt.store.listSummaries(t.threadId, { order: "desc", limit: 1 }))[0] ?? null) : null;
  const run = rt.runs.activeRun(t.threadId);
  return apiThread(t, head, run && { runId: run.runId, startedAt: run.startedAt });
}

export async function deleteThread(rt: Runtime, who: Caller, threadId: string): Promise<ApiDeleted> {
  const t = await readable(rt, who, threadId);
  who.authorize("delete", t.graphId);
  await rt.runs.cancel(threadId);
  // Under the run lock, so a run in another process is never deleted from under it (THREAD_BUSY → 409).
  await withThreadLock(rt.store, threadId, rt.graphs.lockTtlMs, () => rt.store.clear(threadId));
  await who.audit({
    action: "thread_delete",
    threadId,
    graphId: t.graphId,
    checkpointBefore: t.headCheckpointId,
    detail: { checkpoints: t.checkpointCount },
  });
  rt.bus.publish({ type: "thread_updated", threadId, reason: "deleted" });
  return { deleted: true, threadId };
}

async function knownGraph(rt: Runtime, t: ThreadInfo): Promise<string> {
  if ((!t.graphId || !rt.graphs.has(t.graphId)) && (await writtenByLangGraph(rt.store, t))) throw readOnlyThread(t);
  if (!t.graphId || !rt.graphs.has(t.graphId))
    throw new WaypointError("GRAPH_NOT_FOUND", `Thread "${t.threadId}" belongs to graph "${t.graphId}", which this server does not have.`, {
      graphId: t.graphId,
    });
  return t.graphId;
}

/**
 * Starts a run. A `command.resume` is a reviewer's decision at an interrupt ("decide"); anything else (a first
 * input, continuing, retrying after an error, replaying from a checkpoint) is an operator's ("run"). A decision
 * at a node with a quorum (two-person approval) is recorded and waits for the other approvals (quorum.ts).
 */
export async function startRun(
  rt: Runtime,
  who: Caller,
  threadId: string,
  body: RunBody,
  opts: Pick<RunRequest, "beforeStart"> = {},
): Promise<{ status: 200 | 202; body: ApiRunResult; finished?: Promise<RunInfo> }> {
  const t = await readable(rt, who, threadId);
  const graphId = await knownGraph(rt, t);
  const deciding = body.command?.resume !== undefined;
  who.authorize(deciding ? "decide" : "run", graphId);
  const input = body.input !== undefined ? checkInput(rt, graphId, body.input) : null;
  if (!input && !t.headCheckpointId)
    throw new WaypointError("INVALID_ARGUMENT", `Thread "${threadId}" has not started yet: give an input for its first run.`);
  const from = body.checkpointId !== undefined ? await checkpointOf(rt, threadId, body.checkpointId) : null;
  guardQuorum(rt, who, graphId, {
    goto: body.command?.goto,
    update: body.command?.update,
    decidingAt: deciding ? from : null,
    headId: t.headCheckpointId,
  });
  const action = deciding ? "decide" : input ? "run_start" : t.status === "error" ? "run_retry" : "run_resume";
  const reason = body.reason ?? (deciding ? reasonOf(body.command!.resume) : undefined);
  let command = body.command;
  // A malformed answer is refused (400 INVALID_RESUME) before a quorum records it as an approval.
  if (deciding) await rt.graphs.compile(graphId).checkResume(threadId, body.command!.resume, body.checkpointId);
  if (deciding && (!from || from.id === t.headCheckpointId)) {
    const q = await decideWithQuorum(rt, who, t, graphId, body.command!.resume, body.expectedCheckpointId);
    if (q.pending) return { status: 202, body: { run: null, quorum: q.view, thread: await threadView(rt, threadId) } };
    if (q.resume !== undefined) command = { ...body.command, resume: q.resume };
  }
  const metadata = { ...who.actorMeta, ...(reason ? { reason } : {}), ...(deciding ? { decision: command!.resume } : {}) };
  const strategy = body.multitaskStrategy ?? "reject";
  const { run, finished, multitask } = await startWithStrategy(
    rt,
    threadId,
    graphId,
    { input, checkpointId: body.checkpointId, command, metadata, expectedCheckpointId: body.expectedCheckpointId, beforeStart: opts.beforeStart },
    strategy,
  );
  if (multitask?.stoppedRunId)
    await who.audit({
      action: "run_cancel",
      threadId,
      graphId,
      checkpointBefore: t.headCheckpointId,
      reason: `stopped by a new run (multitaskStrategy: ${strategy})`,
      detail: { runId: multitask.stoppedRunId, multitask: strategy, by: run.runId },
    });
  await who.audit({
    action,
    threadId,
    graphId,
    checkpointBefore: body.checkpointId ?? t.headCheckpointId,
    reason: reason ?? null,
    detail: {
      runId: run.runId,
      ...(deciding ? { resume: command!.resume } : {}),
      ...(body.input ? { input: body.input } : {}),
      ...(command?.update ? { update: command.update } : {}),
      ...(command?.goto ? { goto: command.goto } : {}),
      ...(multitask ? { multitask } : {}),
    },
  });
  const extra = multitask ? { multitask } : {};
  if (!body.wait) return { status: 202, body: { run, ...extra, thread: await threadView(rt, threadId) }, finished };
  const ended = await finished;
  return { status: 200, body: { run: ended, ...extra, thread: await threadView(rt, threadId), state: await stateOf(rt, who, threadId) } };
}

/** A decision's own words (comment / feedback / reason), recorded as the checkpoint's reason. */
function reasonOf(resume: unknown): string | undefined {
  if (typeof resume !== "object" || resume === null) return undefined;
  const r = resume as Record<string, unknown>;
  const text = [r.reason, r.comment, r.feedback].find((v) => typeof v === "string" && v.trim() !== "");
  return typeof text === "string" ? text.slice(0, 2000) : undefined;
}

const threadCursor = (t: ThreadInfo) => encodeThreadCursor(t.updatedAt, t.threadId);

export async function checkpointOf(rt: Runtime, threadId: string, checkpointId: string): Promise<Checkpoint> {
  const cp = await rt.store.load(checkpointId);
  if (cp.threadId !== threadId) throw checkpointNotFound(checkpointId);
  return cp;
}

export async function stateOf(rt: Runtime, who: Caller, threadId: string, checkpointId?: string): Promise<ApiState> {
  const t = await readable(rt, who, threadId);
  const cp =
    checkpointId !== undefined ? await checkpointOf(rt, threadId, checkpointId) : t.headCheckpointId ? await rt.store.load(t.headCheckpointId) : null;
  if (!cp) return { values: {}, next: [], interrupts: [], checkpoint: null };
  const v = langGraphView(cp, cp.id === t.headCheckpointId ? t.status : undefined);
  return { values: v.state, next: v.next, interrupts: v.interrupts, checkpoint: apiCheckpoint(v) };
}

export async function editState(rt: Runtime, who: Caller, threadId: string, body: EditStateBody) {
  const t = await readable(rt, who, threadId);
  const graphId = await knownGraph(rt, t);
  who.authorize("edit", graphId);
  // Sending an edit back for review stands in for a decision (the waiting node is answered by asking again).
  if (body.reask) who.authorize("decide", graphId);
  guardQuorum(rt, who, graphId, { asNode: body.asNode });
  const { values, ...opts } = body;
  const { actor, ...meta } = who.actorMeta;
  const cp = await rt.graphs.compile(graphId).updateState(threadId, values, { ...opts, actor, metadata: meta });
  // Back for review: the waiting nodes run again at once and ask with the edited state (one request, so a
  // reviewer without the "run" permission can do it, and nothing is left half done between two requests).
  const run = body.reask
    ? (
        await rt.runs.start(threadId, graphId, {
          input: null,
          metadata: { ...who.actorMeta, ...(body.reason ? { reason: body.reason } : {}) },
          expectedCheckpointId: cp.id,
        })
      ).run
    : null;
  await who.audit({
    action: "edit_state",
    threadId,
    graphId,
    checkpointBefore: cp.parentId,
    checkpointAfter: cp.id,
    reason: body.reason ?? null,
    detail: { values, ...(body.asNode ? { asNode: body.asNode } : {}), ...(run ? { reask: true, runId: run.runId } : {}) },
  });
  rt.bus.publish({ type: "checkpoint", threadId, checkpoint: apiCheckpoint(cp, "summary") });
  rt.bus.publish({ type: "thread_updated", threadId, reason: "edit" });
  return { checkpoint: apiCheckpoint(cp), thread: await threadView(rt, threadId) };
}

/**
 * A fork, and with `run: true` its run, as one request: what the run would refuse is checked before anything
 * is written (the `run` permission, a checkpoint waiting for a decision), and a run that still fails to start
 * takes its fork with it (fork-run.ts), so a refused request leaves nothing behind to be clicked twice.
 */
export async function forkThread(rt: Runtime, who: Caller, threadId: string, body: ForkBody) {
  const t = await readable(rt, who, threadId);
  const graphId = await knownGraph(rt, t);
  who.authorize("fork", graphId);
  if (body.run) {
    who.authorize("run", graphId);
    if (body.asNode === undefined) refuseRunAtDecision(await checkpointOf(rt, threadId, body.checkpointId));
  }
  guardQuorum(rt, who, graphId, { asNode: body.asNode });
  const { actor, ...meta } = who.actorMeta;
  const newThreadId = body.newThread === true ? uuidv7() : typeof body.newThread === "string" ? body.newThread : undefined;
  if (newThreadId !== undefined && newThreadId !== threadId) {
    const exists = await rt.store.getThread(newThreadId).then(
      () => true,
      () => false,
    );
    if (exists)
      throw new WaypointError("THREAD_EXISTS", `Thread "${newThreadId}" already exists; fork into a new thread id.`, { threadId: newThreadId });
  }
  const cp = await rt.graphs.compile(graphId).fork(threadId, body.checkpointId, {
    values: body.values,
    asNode: body.asNode,
    newThreadId: newThreadId === threadId ? undefined : newThreadId,
    actor,
    reason: body.reason,
    metadata: meta,
  });
  const run = body.run ? await runFork(rt, graphId, t, cp, who.actorMeta) : null;
  await who.audit({
    action: "fork",
    threadId: cp.threadId,
    graphId,
    checkpointBefore: body.checkpointId,
    checkpointAfter: cp.id,
    reason: body.reason ?? null,
    detail: {
      fromThread: threadId,
      ...(body.values ? { values: body.values } : {}),
      ...(body.asNode ? { asNode: body.asNode } : {}),
      ...(run ? { runId: run.runId } : {}),
    },
  });
  if (run)
    await who.audit({
      action: "run_resume",
      threadId: cp.threadId,
      graphId,
      checkpointBefore: cp.id,
      reason: body.reason ?? null,
      detail: { runId: run.runId },
    });
  rt.bus.publish({ type: "checkpoint", threadId: cp.threadId, checkpoint: apiCheckpoint(cp, "summary") });
  rt.bus.publish({ type: "thread_updated", threadId: cp.threadId, reason: "fork" });
  return { checkpoint: apiCheckpoint(cp), thread: await threadView(rt, cp.threadId), ...(run ? { run } : {}) };
}

/**
 * Newest first. Without `checkpointId`: the whole thread by version (`before` = a version, as given in
 * `nextCursor`). With it: only that checkpoint's branch, walking parent links (`before` = a checkpoint id).
 */
export async function history(rt: Runtime, who: Caller, threadId: string, q: HistoryQuery): Promise<ApiHistoryPage> {
  await readable(rt, who, threadId);
  if (q.checkpointId === undefined) {
    const before = q.before === undefined ? undefined : Number(q.before);
    if (before !== undefined && !Number.isInteger(before))
      throw new WaypointError("INVALID_ARGUMENT", "before: expected a version number (the nextCursor of the previous page).");
    const opts = { order: "desc" as const, limit: q.limit + 1, before };
    const list =
      q.fields === "summary"
        ? (await rt.store.listSummaries(threadId, opts)).map(apiSummary)
        : (await rt.store.list(threadId, opts)).map((c) => apiCheckpoint(c));
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
async function branchSummaries(
  rt: Runtime,
  threadId: string,
  checkpointId: string,
  before: string | undefined,
  limit: number,
): Promise<ApiHistoryPage> {
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

/** What the thread's checkpoints occupy in the store: sizes, snapshots and deltas, the largest (docs/storage.md). */
export async function threadStorage(rt: Runtime, who: Caller, threadId: string) {
  await readable(rt, who, threadId);
  return apiStorage(await rt.store.storage(threadId), rt.store.kind);
}

export async function getCheckpoint(rt: Runtime, who: Caller, threadId: string, checkpointId: string) {
  await readable(rt, who, threadId);
  return apiCheckpoint(await checkpointOf(rt, threadId, checkpointId));
}
