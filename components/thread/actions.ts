"use client";
/**
 * Multi-request actions as single mutations (one pending state, one error): an edit followed by a resume,
 * a fork followed by a run on the new branch. Each invalidates what it touched.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/client/api";
import { refreshThread } from "@/lib/client/hooks";
import { keys } from "@/lib/client/keys";
import { stateUpdate } from "@/lib/client/state-edit";
import type { GraphDetail, RunCommand } from "@/lib/client/types";

function useInvalidate() {
  const qc = useQueryClient();
  return (...threadIds: string[]) => {
    for (const id of threadIds) refreshThread(qc, id);
    qc.invalidateQueries({ queryKey: keys.threadLists() });
  };
}

/**
 * Starts a run. `expectedCheckpointId` is the head the reviewer was looking at: the server refuses (409
 * STALE_CHECKPOINT) when the thread has moved on since, instead of applying the decision to something else.
 */
export function useResume(threadId: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: { command?: RunCommand; checkpointId?: string; expectedCheckpointId?: string; reason?: string }) => api.run(threadId, body),
    onSettled: () => invalidate(threadId),
  });
}

/**
 * Saves a human edit (only changed channels), then, if asked, continues the run from it. With `reask`, the
 * edit is sent back for review: the server runs the waiting node again, which asks with the edited state.
 */
export function useEditAndContinue(threadId: string, graph: GraphDetail | undefined) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (a: {
      /**
       * The state the form was OPENED on, not the head now: only what the reviewer changed against it is sent,
       * so after the thread moved on under an open form (another reviewer decided or edited) resending never
       * writes the stale values of channels this reviewer did not touch over the other person's changes.
       */
      before: Record<string, unknown>;
      after: Record<string, unknown>;
      reason: string;
      checkpointId?: string;
      /** The head the editor saw (stale-decision guard on the edit, then on the run that follows it). */
      expectedCheckpointId?: string;
      then?: { command?: RunCommand } | null;
      reask?: boolean;
    }) => {
      const values = stateUpdate(a.before, a.after, graph?.channels);
      let checkpointId = a.checkpointId;
      let expected = a.expectedCheckpointId;
      if (Object.keys(values).length || a.reask) {
        const cp = await api.updateState(threadId, {
          values,
          checkpointId: a.checkpointId,
          reason: a.reason || undefined,
          expectedCheckpointId: expected,
          ...(a.reask ? { reask: true } : {}),
        });
        checkpointId = cp.checkpointId;
        expected = cp.checkpointId;
      }
      if (a.then)
        await api.run(threadId, {
          ...a.then,
          ...(a.checkpointId ? { checkpointId } : {}),
          expectedCheckpointId: expected,
          reason: a.reason || undefined,
        });
      return checkpointId;
    },
    onSettled: () => invalidate(threadId),
  });
}

/**
 * Forks at a checkpoint (optionally with edited values, optionally into a new thread) and, if asked, runs the
 * fork: one request, so a refused run leaves no fork behind (and a second click makes no duplicate).
 */
export function useForkAndRun(threadId: string, graph: GraphDetail | undefined) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (a: {
      checkpointId: string;
      before: Record<string, unknown>;
      after: Record<string, unknown>;
      newThread: boolean;
      run: boolean;
      reason: string;
    }) => {
      const values = stateUpdate(a.before, a.after, graph?.channels);
      return api.fork(threadId, {
        checkpointId: a.checkpointId,
        values: Object.keys(values).length ? values : undefined,
        newThread: a.newThread || undefined,
        reason: a.reason || undefined,
        run: a.run || undefined,
      });
    },
    onSettled: (fork) => invalidate(threadId, ...(fork && fork.threadId !== threadId ? [fork.threadId] : [])),
  });
}

/** Stops the thread's active run (it ends "cancelled" at its last checkpoint). */
export function useCancelRun(threadId: string) {
  const invalidate = useInvalidate();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.cancelRun(threadId),
    // The answer carries the stopped thread: show it at once rather than after the refresh.
    onSuccess: (res) => qc.setQueryData(keys.thread(threadId), res.thread),
    onSettled: () => invalidate(threadId),
  });
}
