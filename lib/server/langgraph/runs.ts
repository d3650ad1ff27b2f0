import "server-only";
import { z } from "zod";
import type { ThreadInfo } from "../../checkpoint/types";
import { statusOf } from "../../engine";
import type { GraphDefinition } from "../../config/graph";
import type { Caller } from "../auth/caller";
import type { Runtime } from "../runtime";
import type { RunInfo } from "../runs";
import { startRun, stateOf } from "../threads";
import { channels, feedChannel, type RunChannel } from "./channel";
import { lgError } from "./http";
import { assistantIdOf } from "./mapping";
import { deleteRun, getRun, patchRun, putRun, type LgRunStatus, type RunRecord } from "./records";
import { resolveAssistant } from "./assistants";
import { createLgThread, readableThread } from "./threads";
import { errFields, log } from "../log";
import { startOfRun } from "../multitask";
import { stopCurrent } from "../stop-run";

/**
 * Runs of the protocol over the native run service (`startRun`: the same authorization, quorum, audit trail,
 * one-run-per-thread lock). What this adds: the persisted run record (records.ts), the stream channel
 * (channel.ts), binding a thread to its first run's graph, and `multitask_strategy`.
 */
const Obj = z.record(z.string(), z.unknown());
const CheckpointRef = z.object({ checkpoint_id: z.string().nullish() });
export const RunBody = z.object({
  assistant_id: z.string().min(1).max(200),
  input: z.union([Obj, z.null()]).optional(),
  command: z
    .object({
      resume: z.unknown().optional(),
      update: z.union([Obj, z.array(z.tuple([z.string(), z.unknown()])), z.null()]).optional(),
      goto: z.union([z.string(), z.array(z.unknown()), z.object({ node: z.string() }), z.null()]).optional(),
    })
    .nullish(),
  metadata: Obj.nullish(),
  config: z.object({ configurable: Obj.optional() }).nullish(),
  stream_mode: z.union([z.string(), z.array(z.string())]).nullish(),
  stream_resumable: z.boolean().nullish(),
  checkpoint: CheckpointRef.nullish(),
  checkpoint_id: z.string().nullish(),
  multitask_strategy: z.enum(["reject", "interrupt", "rollback", "enqueue"]).nullish(),
  interrupt_before: z.union([z.literal("*"), z.array(z.string())]).nullish(),
  interrupt_after: z.union([z.literal("*"), z.array(z.string())]).nullish(),
  if_not_exists: z.enum(["create", "reject"]).nullish(),
  on_disconnect: z.enum(["cancel", "continue"]).nullish(),
});
export type RunBody = z.infer<typeof RunBody>;

/** Why runs stop that were cancelled, by run id (this process), so their record ends "interrupted", not "error". */
const G = globalThis as unknown as { __wpLgCancelled?: Map<string, string>; __wpLgDone?: Map<string, Promise<RunRecord>> };
const cancelled = () => (G.__wpLgCancelled ??= new Map());
const dones = () => (G.__wpLgDone ??= new Map());

export const streamModes = (b: { stream_mode?: string | string[] | null }) =>
  b.stream_mode == null ? ["values"] : Array.isArray(b.stream_mode) ? b.stream_mode : [b.stream_mode];

function finalStatus(info: RunInfo): LgRunStatus {
  // A run stopped by the native cancel (the dashboard's Stop) ends "interrupted" too, as LangGraph's cancelled runs do.
  if (cancelled().has(info.runId) || info.status === "cancelled") return "interrupted";
  return info.status === "done" ? "success" : info.status === "interrupted" ? "interrupted" : info.status === "error" ? "error" : "running";
}

/** A command in the engine's terms; `Send` objects in `goto` are a LangGraph feature the engine does not have. */
function commandOf(c: NonNullable<RunBody["command"]>) {
  const goto =
    c.goto == null
      ? undefined
      : typeof c.goto === "string"
        ? c.goto
        : Array.isArray(c.goto) && c.goto.every((g) => typeof g === "string")
          ? (c.goto as string[])
          : null;
  if (goto === null) throw lgError(422, "command.goto: Send objects are not supported; give node names.");
  const update = c.update == null ? undefined : Array.isArray(c.update) ? Object.fromEntries(c.update) : c.update;
  return { ...(c.resume !== undefined ? { resume: c.resume } : {}), ...(update ? { update } : {}), ...(goto !== undefined ? { goto } : {}) };
}

/** The thread, created when `if_not_exists: "create"`, bound to the assistant's graph on its first run. */
async function threadForRun(rt: Runtime, who: Caller, threadId: string, def: GraphDefinition, body: RunBody): Promise<ThreadInfo> {
  let t = await rt.store.getThread(threadId).catch(() => null);
  if (!t) {
    if (body.if_not_exists !== "create") await readableThread(rt, who, threadId); // the 404
    await createLgThread(rt, who, { thread_id: threadId, metadata: {} });
    t = await rt.store.getThread(threadId);
  }
  // An unbound thread has nothing to hide yet; binding it needs the right to run the assistant's graph.
  if (t.graphId !== null) who.authorize("read", t.graphId);
  if (t.graphId === null) {
    who.authorize("run", def.id);
    t = await rt.store.updateThread(threadId, { graphId: def.id });
  } else if (t.graphId !== def.id)
    throw lgError(409, `Thread "${threadId}" runs graph "${t.graphId}"; assistant "${body.assistant_id}" is graph "${def.id}".`);
  return t;
}

/** Starts a run; resolves once it has started (or was refused), with its record and its event channel. */
export async function startLgRun(rt: Runtime, who: Caller, threadId: string, body: RunBody) {
  const def = resolveAssistant(rt, who, body.assistant_id);
  if ((body.interrupt_before?.length ?? 0) || (body.interrupt_after?.length ?? 0))
    throw lgError(422, `interrupt_before / interrupt_after per run are not supported; graph "${def.id}" has its own static interrupts.`);
  if (body.input && body.command) throw lgError(422, "Give either an input (a new run) or a command (to continue), not both.");
  const t = await threadForRun(rt, who, threadId, def, body);
  const strategy = body.multitask_strategy ?? "reject";
  let checkpointId =
    body.checkpoint_id ?? body.checkpoint?.checkpoint_id ?? (body.config?.configurable?.checkpoint_id as string | undefined) ?? undefined;
  const busy = rt.runs.activeRun(threadId) !== null || t.status === "running";
  // Stopped before this run's stream starts listening, so none of the stopped run's events reach it.
  if (busy && (strategy === "interrupt" || strategy === "rollback")) checkpointId = await stopForNewRun(rt, who, t, strategy, checkpointId);
  // enqueue: the run's stream listens from the moment its turn comes (the current run's events are not its own).
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let begun = false;
  let written: RunRecord | null = null;
  const feeder = feedChannel(rt, threadId, strategy === "enqueue" ? gate : undefined);
  let started;
  try {
    started = await startRun(
      rt,
      who,
      threadId,
      {
        ...(body.input ? { input: body.input } : {}),
        ...(body.command ? { command: commandOf(body.command) } : {}),
        ...(checkpointId ? { checkpointId } : {}),
        ...(strategy === "enqueue" ? { multitaskStrategy: "enqueue" as const } : {}),
      },
      {
        beforeStart: () => {
          open();
          begun = true;
          // A queued run's record said "pending" until now (other servers read it).
          if (written?.status === "pending") void patchRun(rt.store, threadId, written.run_id, { status: "running" }).catch(() => {});
        },
      },
    );
  } catch (err) {
    feeder.abandon();
    throw err;
  }
  const run = started.body.run as RunInfo | null;
  if (!run) {
    feeder.abandon();
    throw lgError(409, "Decision recorded; this interrupt needs more approvals from other reviewers before the run continues.");
  }
  const channel = feeder.begin(run.runId, streamModes(body));
  const pending = run.status === "pending";
  const now = new Date().toISOString();
  const record: RunRecord = {
    run_id: run.runId,
    thread_id: threadId,
    assistant_id: assistantIdOf(def.id),
    created_at: run.startedAt,
    updated_at: now,
    status: pending && !begun ? "pending" : "running",
    metadata: { ...(body.metadata ?? {}), graph_id: def.id },
    multitask_strategy: strategy,
    // Not the input or command: the records are rewritten with the thread's metadata, so they stay small.
    kwargs: { stream_mode: streamModes(body), resumable: !!body.stream_resumable, ...(checkpointId ? { checkpoint_id: checkpointId } : {}) },
  };
  await putRun(rt.store, record);
  written = record;
  if (record.status === "pending" && begun) await patchRun(rt.store, threadId, record.run_id, { status: "running" });
  const done = (async () => {
    await feeder.ended;
    // A queued run's RunInfo is the queue's copy; how it ended comes from its `finished`.
    const status = finalStatus(pending && started.finished ? await started.finished : run);
    const reason = cancelled().get(run.runId);
    const final = (await patchRun(rt.store, threadId, run.runId, { status, ...(reason ? { cancel_reason: reason } : {}) })) ?? { ...record, status };
    await feeder.end();
    setTimeout(() => (dones().delete(run.runId), cancelled().delete(run.runId)), 5 * 60_000).unref?.();
    return final;
  })();
  dones().set(run.runId, done);
  return { record, channel, done };
}

/** The run's end: locally its promise, else (another server runs it) the record polled from the store. */
export async function waitForRun(rt: Runtime, threadId: string, runId: string, signal?: AbortSignal): Promise<RunRecord> {
  const local = dones().get(runId);
  if (local) return local;
  for (;;) {
    const rec = await getRun(rt.store, threadId, runId);
    if (!rec) throw lgError(404, `Run "${runId}" was not found on thread "${threadId}".`);
    if (rec.status !== "pending" && rec.status !== "running") return rec;
    if (signal?.aborted) return rec;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What `runs/wait` and `join` answer: the thread's values, with `__interrupt__` at an interrupt or `__error__`. */
export async function runOutput(rt: Runtime, who: Caller, threadId: string) {
  const t = await rt.store.getThread(threadId);
  const s = await stateOf(rt, who, threadId);
  if (t.status === "error" && t.error) return { __error__: { error: "NodeFailed", message: t.error.message } };
  const list = s.interrupts.filter((i) => i.kind === "dynamic").map((i) => ({ value: i.value, id: i.id }));
  return t.status === "interrupted" && list.length ? { ...s.values, __interrupt__: list } : s.values;
}

/**
 * multitask_strategy interrupt / rollback: stops the thread's run wherever it runs (multitask.ts: locally, through
 * the pub/sub, or under its lock when its server died). rollback then starts the new run from the checkpoint the
 * stopped run started at: a new branch; the stopped run's checkpoints stay in the history.
 */
async function stopForNewRun(rt: Runtime, who: Caller, t: ThreadInfo, strategy: "interrupt" | "rollback", checkpointId: string | undefined) {
  const reason = `stopped by a new run (multitask_strategy: ${strategy})`;
  const local = rt.runs.activeRun(t.threadId);
  if (local) return cancelLocal(rt, who, t, local.runId, reason).then(() => rollbackPoint(rt, t.threadId, strategy, local.runId, checkpointId));
  who.authorize("run", t.graphId);
  const stopped = (await stopCurrent(rt, t.threadId)).runId;
  if (stopped)
    await who.audit({
      action: "run_cancel",
      threadId: t.threadId,
      graphId: t.graphId,
      checkpointBefore: t.headCheckpointId,
      reason,
      detail: { runId: stopped },
    });
  return rollbackPoint(rt, t.threadId, strategy, stopped, checkpointId);
}

async function rollbackPoint(rt: Runtime, threadId: string, strategy: string, stopped: string | null, checkpointId: string | undefined) {
  if (strategy !== "rollback" || !stopped || checkpointId !== undefined) return checkpointId;
  const from = await startOfRun(rt.store, threadId, stopped);
  if (from === null)
    throw lgError(
      409,
      `The run on thread "${threadId}" was stopped, but it was the thread's first run: there is no earlier checkpoint to branch from.`,
    );
  return from;
}

async function cancelLocal(rt: Runtime, who: Caller, t: ThreadInfo, runId: string, reason: string) {
  who.authorize("run", t.graphId);
  cancelled().set(runId, reason);
  // The native cancel's mechanism (lib/server/cancel.ts): the engine discards the step in flight and leaves the
  // thread "cancelled" at its last checkpoint, which the protocol shows as "idle", ready to continue.
  await rt.runs.cancel(t.threadId);
  await who.audit({
    action: "run_cancel",
    threadId: t.threadId,
    graphId: t.graphId,
    checkpointBefore: t.headCheckpointId,
    reason,
    detail: { runId },
  });
}

/** `POST …/runs/:id/cancel`: stops a run this server runs; `rollback` also deletes the run's checkpoints and record. */
export async function cancelRun(rt: Runtime, who: Caller, threadId: string, runId: string, action: "interrupt" | "rollback", wait: boolean) {
  const t = await readableThread(rt, who, threadId);
  const rec = await getRun(rt.store, threadId, runId);
  if (!rec) throw lgError(404, `Run "${runId}" was not found on thread "${threadId}".`);
  if (rec.status !== "pending" && rec.status !== "running") throw lgError(409, `Run "${runId}" is not active (it is ${rec.status}).`);
  if (rt.runs.activeRun(threadId)?.runId !== runId) throw lgError(409, `Run "${runId}" is running on another server; cancel it there.`);
  const stopping = cancelLocal(rt, who, t, runId, action === "rollback" ? "rollback" : "cancelled by request").then(async () => {
    await dones().get(runId);
    if (action === "rollback") await rollback(rt, threadId, runId);
  });
  if (wait) await stopping;
  else stopping.catch((err) => log().error({ runId, ...errFields(err) }, "cancelling a run failed"));
}

/** Deletes the checkpoints a run made (newest first; the store re-links) and its record. */
async function rollback(rt: Runtime, threadId: string, runId: string) {
  const mine = (await rt.store.list(threadId, { order: "desc" })).filter((c) => c.metadata.runId === runId);
  for (const c of mine) await rt.store.delete(c.id);
  await deleteRun(rt.store, threadId, runId);
  const head = await rt.store.latest(threadId);
  await rt.store.updateThread(threadId, { status: head ? statusOf(head) : "idle", error: null });
}

export const channelOf = (runId: string): RunChannel | undefined => channels().get(runId);
