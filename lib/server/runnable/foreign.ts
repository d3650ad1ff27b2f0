import { WaypointError } from "../../errors";
import type { Checkpoint, CheckpointStore, ThreadInfo } from "../../checkpoint/types";
import { langGraphRecord } from "../../langgraph/records";
import { langGraphView, statusOfView } from "./lg-view";
import type { RunnableGraph } from "./types";

/**
 * Threads the server shows but does not run: those a LangGraph.js process wrote through `WaypointSaver` with a
 * graph this server does not have (no `graphId`, or one not in waypoint.config.ts). They are listed and read
 * like any thread — their checkpoints mapped by lg-view.ts, their status taken from their head, since nothing
 * here ran them — and every action on them is refused with READ_ONLY_NOTE, never run by Waypoint's engine.
 */
const READ_ONLY_NOTE =
  "Written by a LangGraph.js process whose graph this server does not have: shown read-only. Register the graph in waypoint.config.ts to run, edit or fork it from here.";

export function readOnlyThread(t: ThreadInfo): WaypointError {
  return new WaypointError(
    "CONFLICT",
    `Thread "${t.threadId}" was written by a LangGraph.js process whose graph ${t.graphId ? `"${t.graphId}" ` : ""}this server does not have, so it is read-only here: register that graph in waypoint.config.ts to run, edit or fork it from the dashboard.`,
    { threadId: t.threadId, graphId: t.graphId },
  );
}

export async function writtenByLangGraph(store: CheckpointStore, t: ThreadInfo): Promise<boolean> {
  if (!t.headCheckpointId) return false;
  const head = await store.load(t.headCheckpointId).catch(() => null);
  return head !== null && langGraphRecord(head) !== null;
}

/**
 * The thread and its head as served. A registered graph maps its own head (`runnable.view`); a foreign
 * LangGraph.js thread gets the generic mapping, a status from its head and the read-only note.
 */
export function foreignView(
  t: ThreadInfo,
  raw: Checkpoint | null,
  runnable: RunnableGraph | null,
): { thread: ThreadInfo; head: Checkpoint | null; readOnly?: string } {
  if (runnable) return { thread: t, head: raw && t.status === "interrupted" ? runnable.view(raw, t.status) : null };
  if (!raw || !langGraphRecord(raw)) return { thread: t, head: t.status === "interrupted" ? raw : null };
  const head = langGraphView(raw);
  const status = t.status === "running" || t.status === "error" ? t.status : statusOfView(head);
  return { thread: { ...t, status }, head, readOnly: READ_ONLY_NOTE };
}
