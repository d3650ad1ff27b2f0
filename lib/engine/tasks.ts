import { WaypointError, isWaypointError } from "../errors";
import type { ChannelWrite, FailedAttempt, PendingWrite } from "../checkpoint/types";
import { toWrites } from "./channels";
import { DONE, GOTO, RESUME } from "./constants";
import type { GraphDef } from "./definition";
import { isGraphInterrupt, taskScope, type TaskScope } from "./interrupt";
import { endSpan, recording, startSpan, withContext } from "./tracing";
import { Command, type NodeContext, type RetryPolicy, type State } from "./types";

/**
 * What happened to one node in a super-step. `failed`: its failed tries (run 1; the run loop renumbers them),
 * oldest first — for an error, the last one is the failure that ended it.
 */
export type TaskOutcome =
  | { node: string; kind: "ok"; writes: ChannelWrite[]; goto: string[] | null; failed?: FailedAttempt[] }
  | { node: string; kind: "interrupt"; value: unknown; resumeValues: unknown[]; failed?: FailedAttempt[] }
  | { node: string; kind: "error"; error: unknown; attempts: number; failed?: FailedAttempt[] };

export function isCommand(x: unknown): x is Command {
  return x instanceof Command || (typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "waypoint.command");
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => (signal.removeEventListener("abort", onAbort), resolve()), ms);
    const onAbort = () => (clearTimeout(t), reject(signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
  });

function retryDelay(policy: RetryPolicy, attempt: number): number {
  const base = (policy.initialDelayMs ?? 100) * Math.pow(policy.backoffFactor ?? 2, attempt - 1);
  return Math.min(base, policy.maxDelayMs ?? 30_000);
}

/** Waypoint's own errors (bad updates, unknown nodes) are not transient: never retried by default. */
const defaultRetryOn = (err: unknown) => !isWaypointError(err);

/**
 * Runs one node with its retry policy. Interrupts are outcomes, not errors, and are never retried.
 * `state` is a shallow copy: nodes must treat it as read-only and return updates instead.
 */
export function runTask(def: GraphDef, node: string, state: State, ctx: TaskContext, resumeValues: unknown[]): Promise<TaskOutcome> {
  // One `waypoint.node` span per task (its retries inside it), a child of the step's span (tracing.ts); none
  // when the step is not recorded (untraced), so an untraced run pays nothing here.
  if (!recording()) return attempts(def, node, state, ctx, resumeValues);
  const { span, ctx: spanCtx } = startSpan("waypoint.node", { "waypoint.node": node, "waypoint.step": ctx.step });
  return withContext(spanCtx, () => attempts(def, node, state, ctx, resumeValues)).then((o) => {
    endSpan(span, o.kind === "error" ? o.error : undefined, {
      "waypoint.node.outcome": o.kind,
      ...(o.kind === "error" ? { "waypoint.node.attempts": o.attempts } : {}),
    });
    return o;
  });
}

type TaskContext = Omit<NodeContext, "node" | "attempt" | "emit"> & { emitFrom?: (data: unknown, node: string) => void };

async function attempts(def: GraphDef, node: string, state: State, ctx: TaskContext, resumeValues: unknown[]): Promise<TaskOutcome> {
  const spec = def.nodes.get(node);
  if (!spec) return { node, kind: "error", error: new WaypointError("UNKNOWN_NODE", `Unknown node "${node}".`, { node }), attempts: 0 };
  const policy = spec.options.retry;
  const maxAttempts = policy ? Math.max(1, policy.maxAttempts ?? 3) : 1;
  const failed: FailedAttempt[] = [];
  const kept = <T extends TaskOutcome>(o: T): T => (failed.length ? { ...o, failed } : o);
  for (let attempt = 1; ; attempt++) {
    const scope: TaskScope = { node, resumeValues, counter: 0, raised: null };
    const startedAt = Date.now();
    try {
      const { emitFrom, ...base } = ctx;
      const emit = (data: unknown) => emitFrom?.(data, node);
      const result = await taskScope.run(scope, () => spec.fn({ ...state }, { ...base, node, attempt, emit }));
      if (scope.raised) return kept({ node, kind: "interrupt", value: scope.raised.value, resumeValues });
      if (isCommand(result)) {
        const goto = result.goto === undefined ? null : Array.isArray(result.goto) ? result.goto : [result.goto];
        return kept({ node, kind: "ok", writes: toWrites(def.schema, node, result.update), goto });
      }
      return kept({ node, kind: "ok", writes: toWrites(def.schema, node, result), goto: null });
    } catch (err) {
      if (scope.raised || isGraphInterrupt(err)) {
        const raised = scope.raised ?? (err as { value: unknown });
        return kept({ node, kind: "interrupt", value: raised.value, resumeValues });
      }
      failed.push({
        node,
        attempt,
        maxAttempts,
        run: 1,
        message: errorMessage(err),
        startedAt: new Date(startedAt).toISOString(),
        durationMs: Date.now() - startedAt,
      });
      const retry = policy && attempt < maxAttempts && (policy.retryOn ?? defaultRetryOn)(err) && !ctx.signal.aborted;
      if (!retry) return kept({ node, kind: "error", error: err, attempts: attempt });
      try {
        await sleep(retryDelay(policy, attempt), ctx.signal);
      } catch {
        return kept({ node, kind: "error", error: err, attempts: attempt });
      }
    }
  }
}

/** A completed node's outcome as pending writes (so it is not run again when its step is resumed). */
export function outcomeToPending(o: Extract<TaskOutcome, { kind: "ok" }>): PendingWrite[] {
  const out: PendingWrite[] = o.writes.map((w) => ({ node: w.node, channel: w.channel, value: w.value }));
  if (o.goto) out.push({ node: o.node, channel: GOTO, value: o.goto });
  out.push({ node: o.node, channel: DONE, value: null });
  return out;
}

/** Completed outcomes recorded in a checkpoint's pending writes, by node. */
export function pendingToOutcomes(pending: PendingWrite[]): Map<string, Extract<TaskOutcome, { kind: "ok" }>> {
  const done = new Map<string, Extract<TaskOutcome, { kind: "ok" }>>();
  for (const p of pending) if (p.channel === DONE) done.set(p.node, { node: p.node, kind: "ok", writes: [], goto: null });
  for (const p of pending) {
    const o = done.get(p.node);
    if (!o || p.channel === DONE || p.channel === RESUME) continue;
    if (p.channel === GOTO) o.goto = p.value as string[];
    else o.writes.push({ node: p.node, channel: p.channel, value: p.value });
  }
  return done;
}

/** Resume values already consumed by each node, from pending writes. */
export function pendingResumes(pending: PendingWrite[]): Map<string, unknown[]> {
  const m = new Map<string, unknown[]>();
  for (const p of pending) if (p.channel === RESUME && Array.isArray(p.value)) m.set(p.node, p.value);
  return m;
}

/** A thrown value as `{ message }` for the thread record. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  try {
    return typeof err === "string" ? err : JSON.stringify(err);
  } catch {
    return String(err);
  }
}
