import type { CheckpointStore, CheckpointSummary, ThreadInfo } from "../checkpoint/types";
import { selectThreads, threadCheckpoints, type ThreadSelection } from "./archive";
import type { Progress } from "./transfer";

/**
 * `waypoint verify`: the integrity of a store, thread by thread, through the contract (so the same checks on
 * every backend). For each thread: every parent link resolves inside the thread, versions are unique, the
 * record agrees with its checkpoints (count, head id and version), every checkpoint's state rebuilds (delta
 * storage: snapshot + changes), and a thread marked "running" has a run holding its lock.
 */
export interface Problem {
  threadId: string;
  checkpointId?: string;
  code: "PARENT_MISSING" | "VERSION_DUPLICATE" | "RECORD_COUNT" | "RECORD_HEAD" | "STATE_UNREADABLE" | "STRANDED_RUN" | "THREAD_UNREADABLE";
  message: string;
  /** Whether `--repair` fixes it. */
  repairable: boolean;
  repaired?: boolean;
}

export interface VerifyReport {
  threads: number;
  checkpoints: number;
  problems: Problem[];
}

const OWNER = "waypoint-verify";

async function checkThread(
  store: CheckpointStore,
  t: ThreadInfo,
  repair: boolean,
  progress: Progress,
): Promise<{ checkpoints: number; problems: Problem[] }> {
  const problems: Problem[] = [];
  const p = (x: Omit<Problem, "threadId">) => problems.push({ threadId: t.threadId, ...x });
  const summaries: CheckpointSummary[] = await store.listSummaries(t.threadId, { order: "asc" });
  const ids = new Set(summaries.map((s) => s.id));
  const versions = new Map<number, string>();
  for (const s of summaries) {
    if (s.parentId !== null && !ids.has(s.parentId))
      p({ checkpointId: s.id, code: "PARENT_MISSING", message: `v${s.version}'s parent ${s.parentId} is not in the thread.`, repairable: false });
    const other = versions.get(s.version);
    if (other) p({ checkpointId: s.id, code: "VERSION_DUPLICATE", message: `v${s.version} is used by ${other} and ${s.id}.`, repairable: false });
    versions.set(s.version, s.id);
  }
  if (summaries.length !== t.checkpointCount)
    p({
      code: "RECORD_COUNT",
      message: `the record counts ${t.checkpointCount} checkpoints; the thread has ${summaries.length}.`,
      repairable: false,
    });
  // The head is the newest ROOT-namespace checkpoint (subgraph checkpoints never are; types.ts Checkpoint.namespace).
  const head = summaries.filter((s) => !s.namespace).at(-1);
  if ((head?.id ?? null) !== t.headCheckpointId || (head?.version ?? 0) !== t.headVersion)
    p({
      code: "RECORD_HEAD",
      message: `the record's head is ${t.headCheckpointId ?? "none"} (v${t.headVersion}); the newest root checkpoint is ${head?.id ?? "none"} (v${head?.version ?? 0}).`,
      repairable: false,
    });
  // Every state, rebuilt in version order (one walk; a damaged delta or snapshot fails its page, then each alone).
  let read = 0;
  try {
    for await (const c of threadCheckpoints(store, t.threadId)) {
      void c.state;
      read++;
      progress.tick?.(1, t.threadId);
    }
  } catch {
    for (const s of summaries.slice(read)) {
      try {
        await store.load(s.id);
      } catch (err) {
        p({ checkpointId: s.id, code: "STATE_UNREADABLE", message: `v${s.version} does not load: ${(err as Error).message}`, repairable: false });
      }
      progress.tick?.(1, t.threadId);
    }
  }
  if (t.status === "running") {
    const lock = await store.acquireLock(t.threadId, OWNER, 30_000);
    if (lock.acquired) {
      const problem: Problem = {
        threadId: t.threadId,
        code: "STRANDED_RUN",
        message: "marked running, but no run holds its lock (a server stopped mid-run and none has continued it).",
        repairable: true,
      };
      if (repair) {
        const waits = head ? (await store.load(head.id)).interrupts.length > 0 : false;
        await store.updateThread(t.threadId, {
          status: waits ? "interrupted" : "error",
          error: {
            node: null,
            message: "Marked by `waypoint verify --repair`: no run was holding this thread.",
            checkpointId: head?.id ?? null,
            at: new Date().toISOString(),
          },
        });
        problem.repaired = true;
      }
      problems.push(problem);
      await store.releaseLock(t.threadId, OWNER);
    }
  }
  return { checkpoints: summaries.length, problems };
}

export async function verifyStore(
  store: CheckpointStore,
  sel: ThreadSelection,
  opts: { repair?: boolean; progress?: Progress } = {},
): Promise<VerifyReport> {
  const report: VerifyReport = { threads: 0, checkpoints: 0, problems: [] };
  for await (const t of selectThreads(store, sel)) {
    report.threads++;
    opts.progress?.total?.(t.checkpointCount);
    try {
      const r = await checkThread(store, t, !!opts.repair, opts.progress ?? {});
      report.checkpoints += r.checkpoints;
      report.problems.push(...r.problems);
    } catch (err) {
      report.problems.push({ threadId: t.threadId, code: "THREAD_UNREADABLE", message: (err as Error).message, repairable: false });
    }
  }
  return report;
}
