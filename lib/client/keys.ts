/**
 * The one query-key factory. Keys nest (thread → history / storage / checkpoint / diff) so invalidating
 * `keys.thread(id)` refreshes everything shown for that thread after an action or a live event.
 */
/** What the thread list is filtered by (all optional; "" = none). */
export interface ThreadFilters {
  status?: string;
  graphId?: string;
  query?: string;
  sort?: "updated" | "waiting";
}

export const keys = {
  all: ["waypoint"] as const,
  me: () => [...keys.all, "me"] as const,
  users: () => [...keys.all, "users"] as const,
  tokens: (all: boolean) => [...keys.all, "tokens", all] as const,
  audit: (filters: Record<string, string | undefined>) => [...keys.all, "audit", filters] as const,
  schedules: () => [...keys.all, "schedules"] as const,
  graphs: () => [...keys.all, "graphs"] as const,
  graph: (graphId: string) => [...keys.graphs(), graphId] as const,
  threads: () => [...keys.all, "threads"] as const,
  threadLists: () => [...keys.threads(), "list"] as const,
  threadList: (filters: ThreadFilters) => [...keys.threadLists(), filters] as const,
  threadCounts: (filters: ThreadFilters) => [...keys.threads(), "counts", filters] as const,
  thread: (threadId: string) => [...keys.threads(), "one", threadId] as const,
  history: (threadId: string) => [...keys.thread(threadId), "history"] as const,
  storage: (threadId: string) => [...keys.thread(threadId), "storage"] as const,
  checkpoint: (threadId: string, checkpointId: string) => [...keys.thread(threadId), "checkpoint", checkpointId] as const,
  forks: (threadId: string) => [...keys.thread(threadId), "forks"] as const,
  diff: (threadId: string, checkpointId: string, against?: string) => [...keys.thread(threadId), "diff", checkpointId, against ?? "parent"] as const,
};
