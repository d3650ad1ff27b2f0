/**
 * `appendWrites` (types.ts): validation and the merge rule, shared by every store. Each store runs `mergeTaskWrites`
 * inside its own atomic step (a transaction, a compare-and-set script, a cross-process file guard), so the rule
 * itself lives here once.
 */
import { WaypointError } from "../errors";
import { assertSafeId } from "./ids";
import type { PendingWrite, TaskWrite } from "./types";
import { toJson } from "./validate";

const bad = (message: string) => new WaypointError("INVALID_ARGUMENT", message);

/** Longest task id accepted (LangGraph's are UUIDs; room for other schemes, not for unbounded keys). */
export const MAX_TASK_ID = 256;

/**
 * Checks an appendWrites call before anything is read or written, and returns the writes as they will be stored
 * (PendingWrite shape: node = task id; a private JSON copy, so later changes by the caller cannot leak in).
 */
export function validateAppendWrites(checkpointId: string, taskId: string, writes: TaskWrite[]): PendingWrite[] {
  assertSafeId(checkpointId, "checkpoint");
  if (typeof taskId !== "string" || taskId.length === 0 || taskId.length > MAX_TASK_ID)
    throw bad(`taskId must be a non-empty string of at most ${MAX_TASK_ID} characters.`);
  if (!Array.isArray(writes)) throw bad("appendWrites takes a list of {idx, channel, value, taskPath?, encoding?}.");
  const seen = new Set<number>();
  const out = writes.map((w, i): PendingWrite => {
    if (typeof w !== "object" || w === null) throw bad(`Write ${i} must be an object {idx, channel, value}.`);
    if (!Number.isSafeInteger(w.idx)) throw bad(`Write ${i}: idx must be a safe integer.`);
    if (seen.has(w.idx)) throw bad(`Write ${i}: idx ${w.idx} appears twice in one call.`);
    seen.add(w.idx);
    if (typeof w.channel !== "string" || w.channel.length === 0) throw bad(`Write ${i}: channel must be a non-empty string.`);
    if (w.taskPath !== undefined && typeof w.taskPath !== "string") throw bad(`Write ${i}: taskPath must be a string.`);
    if (w.encoding !== undefined && typeof w.encoding !== "string") throw bad(`Write ${i}: encoding must be a string.`);
    if (w.value === undefined) throw bad(`Write ${i}: value is missing (undefined is not JSON).`);
    // Field order as the LangGraph saver always wrote them, so stored layouts stay alike.
    return {
      node: taskId,
      channel: w.channel,
      value: w.value,
      idx: w.idx,
      ...(w.taskPath !== undefined && { taskPath: w.taskPath }),
      ...(w.encoding !== undefined && { encoding: w.encoding }),
    };
  });
  return JSON.parse(toJson(out, "Pending writes")) as PendingWrite[];
}

/**
 * The merge rule (types.ts `appendWrites`): `existing` with `adds` (validated, one task) merged in. Returns null
 * when nothing changes (every regular write already present), so a store can skip its write.
 */
export function mergeTaskWrites(existing: PendingWrite[], adds: PendingWrite[]): PendingWrite[] | null {
  const merged = existing.slice();
  let changed = false;
  for (const w of adds) {
    const at = merged.findIndex((e) => e.node === w.node && e.idx === w.idx);
    if (at >= 0 && w.idx! >= 0) continue; // a regular write is stored once: a retry neither duplicates nor changes it
    if (at >= 0) merged[at] = w;
    else merged.push(w);
    changed = true;
  }
  return changed ? merged : null;
}
