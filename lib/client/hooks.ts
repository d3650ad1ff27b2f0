"use client";
/**
 * React-query hooks over the API. Reads are keyed by lib/client/keys.ts; every mutation invalidates the
 * thread it touched (and the thread list) so all panels agree after an action.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { accountsApi, api, schedulesApi } from "./api";
import { keys } from "./keys";
import { THREAD_EVENT_NAMES } from "../api/responses";
import type { ActionName, Checkpoint, Thread, ThreadStatus } from "./types";

export function useGraphs() {
  return useQuery({ queryKey: keys.graphs(), queryFn: api.graphs, staleTime: 60_000 });
}

export function useGraph(graphId: string | null | undefined) {
  return useQuery({ queryKey: keys.graph(graphId ?? ""), queryFn: () => api.graph(graphId!), enabled: !!graphId, staleTime: 60_000 });
}

/** Threads in the chosen order (newest update first by default), 100 a page ("Load more" fetches the next by cursor). */
export function useThreads(filters: { status?: ThreadStatus | ""; graphId?: string; query?: string; sort?: "updated" | "waiting" }) {
  return useInfiniteQuery({
    queryKey: keys.threadList(filters),
    queryFn: ({ pageParam }) => api.threads({ ...filters, limit: 100, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    // The list has no event stream of its own: poll it (every loaded page) while it is on screen.
    refetchInterval: 3_000,
    placeholderData: (prev) => prev,
  });
}

/**
 * How many threads wait for a person in all (not only the loaded pages), within the caller's graphs, and how many
 * match the list's status / graph / query.
 */
export function useThreadCounts(filters: { graphId?: string; status?: ThreadStatus | ""; query?: string }) {
  return useQuery({
    queryKey: keys.threadCounts(filters),
    queryFn: () => api.threadCounts(filters),
    refetchInterval: 5_000,
    placeholderData: (prev) => prev,
  });
}

export function useThread(threadId: string) {
  return useQuery({
    queryKey: keys.thread(threadId),
    queryFn: () => api.thread(threadId),
    // A safety net for missed events (another process, a dropped stream): poll only while something runs.
    refetchInterval: (q) => ((q.state.data as Thread | undefined)?.status === "running" ? 2_000 : false),
  });
}

const PAGE = 1000;

/**
 * History arrays known to hold the whole thread. A first load shows its pages as they arrive (partial arrays in
 * the cache); only an array in this set may serve as the base of an incremental refresh, so a refresh that lands
 * during a first load never mistakes the pages read so far for the whole history.
 */
const completeHistories = new WeakSet<Checkpoint[]>();
/** Threads whose history changed while a load of it was in flight: that load reads on before it returns. */
const changedDuringLoad = new Set<string>();

/**
 * The whole thread's history (summaries: no state values), newest first. The first load reads pages of
 * 1000 in a loop so the timeline can build the full tree (10,000 checkpoints = 10 small requests). Later
 * refreshes (live events while a run goes on) read only what is newer than the newest version already
 * held: versions only grow within a thread, across all branches. If the thread now has fewer checkpoints
 * than held (pruned, deleted), it is read again in full.
 */
export function useHistory(threadId: string, running: boolean, expectedCount?: number) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: keys.history(threadId),
    queryFn: async ({ signal }) => {
      const cached = qc.getQueryData<Checkpoint[]>(keys.history(threadId));
      let held = cached && completeHistories.has(cached) && (expectedCount === undefined || expectedCount >= cached.length) ? cached : null;
      changedDuringLoad.delete(threadId);
      for (;;) {
        const newest = held?.length ? held[0].version : 0;
        const fresh: Checkpoint[] = [];
        let before: string | number | null | undefined = undefined;
        for (;;) {
          const page = await api.history(threadId, { limit: PAGE, before: before ?? undefined, fields: "summary" });
          if (signal.aborted) return held ?? fresh; // superseded: its pages must not land in the cache
          const newer = page.checkpoints.filter((c) => c.version > newest);
          fresh.push(...newer);
          // A first load of a long thread shows each page as it arrives (newest first) instead of waiting for all.
          if (!held && page.nextCursor) qc.setQueryData(keys.history(threadId), fresh.slice());
          if (!page.nextCursor || newer.length < page.checkpoints.length || page.checkpoints.length === 0) break;
          before = page.nextCursor;
        }
        held = held ? [...fresh, ...held] : fresh;
        completeHistories.add(held);
        // Events that arrived meanwhile may name checkpoints saved after the pages above were read: read on.
        if (!changedDuringLoad.delete(threadId)) return held;
      }
    },
    // The cached array must stay the very array the load returned (completeHistories is keyed by it), and
    // deep-comparing 10,000 summaries on every refresh would be waste anyway.
    structuralSharing: false,
    refetchInterval: running ? 2_000 : false,
    placeholderData: (prev) => prev,
  });
}

export function useCheckpoint(threadId: string, checkpointId: string | null | undefined) {
  return useQuery({
    queryKey: keys.checkpoint(threadId, checkpointId ?? ""),
    queryFn: () => api.checkpoint(threadId, checkpointId!),
    enabled: !!checkpointId,
    staleTime: Infinity, // checkpoints are immutable
    placeholderData: (prev) => prev,
  });
}

export function useDiff(threadId: string, checkpointId: string | null | undefined, against?: string) {
  return useQuery({
    queryKey: keys.diff(threadId, checkpointId ?? "", against),
    queryFn: () => api.diff(threadId, checkpointId!, against),
    enabled: !!checkpointId,
    staleTime: Infinity,
  });
}

/** Threads forked from this one (GET /api/threads/:id/forks); refreshed with the thread. */
export function useForks(threadId: string) {
  return useQuery({ queryKey: keys.forks(threadId), queryFn: () => api.forks(threadId), staleTime: 10_000 });
}

const STORAGE_REFRESH_MS = 1_500;

/**
 * What the thread occupies in the store. Live events only mark it stale (see refreshThread); a stale report is
 * read again after STORAGE_REFRESH_MS, so a fast run costs one storage read every couple of seconds, not one
 * per checkpoint.
 */
export function useThreadStorage(threadId: string) {
  return useQuery({
    queryKey: keys.storage(threadId),
    queryFn: () => api.storage(threadId),
    refetchInterval: (q) => (q.state.isInvalidated ? STORAGE_REFRESH_MS : false),
    placeholderData: (prev) => prev,
  });
}
/** Refreshes the thread's queries on every server-sent event (debounced: a fast run sends many). */
export function useThreadEvents(threadId: string) {
  const qc = useQueryClient();
  useEffect(() => {
    if (typeof EventSource === "undefined") return;
    const es = new EventSource(`/api/threads/${encodeURIComponent(threadId)}/events`);
    let timer: ReturnType<typeof setTimeout> | null = null;
    const refresh = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        refreshThread(qc, threadId);
        qc.invalidateQueries({ queryKey: keys.threadLists(), refetchType: "none" });
      }, 150);
    };
    // `thread` included: it is how runs on other servers show up (the stream re-sends a changed thread).
    // `custom` left out: what a node emits changes nothing the dashboard shows.
    for (const n of THREAD_EVENT_NAMES) if (n !== "custom") es.addEventListener(n, refresh);
    return () => {
      if (timer) clearTimeout(timer);
      es.close();
    };
  }, [threadId, qc]);
}

/**
 * Re-reads what can change on a thread: its record and its history, and (throttled, see useThreadStorage) its
 * storage report. Checkpoints and their diffs are immutable, so their cached copies stay (re-reading a big
 * state on every live event would be waste).
 */
export function refreshThread(qc: QueryClient, threadId: string) {
  qc.invalidateQueries({ queryKey: keys.thread(threadId), exact: true });
  qc.invalidateQueries({ queryKey: keys.storage(threadId), refetchType: "none" });
  // A fork into another thread changes the source's fork list: read again when next shown.
  qc.invalidateQueries({ queryKey: keys.forks(threadId), refetchType: "none" });
  // Never cancel a history load in flight (a long first load would restart on every event and never finish):
  // tell it to read on before it returns instead.
  if (qc.getQueryState(keys.history(threadId))?.fetchStatus === "fetching") changedDuringLoad.add(threadId);
  else qc.invalidateQueries({ queryKey: keys.history(threadId) });
}

export function useCreateThread() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: api.createThread,
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.threadLists() }),
  });
}

export function useDeleteThread() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: api.deleteThread, onSuccess: () => qc.invalidateQueries({ queryKey: keys.threadLists() }) });
}

/** The signed-in caller (role, graphs, allowed actions); cached for the tab, refreshed on focus. */
export function useMe() {
  return useQuery({ queryKey: keys.me(), queryFn: accountsApi.me, staleTime: 30_000 });
}

/** Whether the signed-in caller may take `action` (on `graphId`, when given). False until /api/me answers. */
export function useCan(action: ActionName, graphId?: string | null): boolean {
  const me = useMe().data;
  if (!me || !me.actions.includes(action)) return false;
  return graphId === undefined || me.graphs === null || (graphId !== null && me.graphs.includes(graphId));
}

/** Every schedule the caller may read; refreshed every 5 s so last runs and next fire times stay current. */
export function useSchedules() {
  return useQuery({ queryKey: keys.schedules(), queryFn: schedulesApi.list, refetchInterval: 5_000 });
}

/** A schedule change (create, pause / resume, delete, run now): the list, and threads a fire may have started. */
export function useScheduleMutation<A, R>(fn: (arg: A) => Promise<R>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSettled: () => {
      qc.invalidateQueries({ queryKey: keys.schedules() });
      qc.invalidateQueries({ queryKey: keys.threadLists() });
    },
  });
}
