import "server-only";
import type { Logger } from "pino";
import type { EventBus } from "./events";
import { log } from "./log";
import type { RunManager } from "./runs";

/**
 * Logs every run's life from the event bus: start, each step (debug), interrupts, errors and the end, each line
 * carrying run, thread, graph and node. Listens like the metrics do, so the run loop itself knows nothing of logs.
 */
export function attachRunLog(bus: EventBus, runs: RunManager, logger: Logger = log()): () => void {
  const children = new Map<string, Logger>();
  const forThread = (threadId: string): Logger => {
    const known = children.get(threadId);
    if (known) return known;
    const run = runs.activeRun(threadId);
    return logger.child({ threadId, runId: run?.runId ?? null, graph: run?.graphId ?? null });
  };
  return bus.subscribeAll((e) => {
    switch (e.type) {
      case "run_started": {
        const run = runs.activeRun(e.threadId);
        const child = logger.child({ runId: e.runId, threadId: e.threadId, graph: run?.graphId ?? null });
        children.set(e.threadId, child);
        child.info("run started");
        break;
      }
      case "checkpoint": {
        const cp = e.checkpoint;
        forThread(e.threadId).debug(
          { node: cp.nodeName, step: cp.step, version: cp.version, checkpointId: cp.checkpointId, source: cp.metadata.source },
          "checkpoint saved",
        );
        break;
      }
      case "interrupt":
        forThread(e.threadId).info(
          { node: e.interrupts[0]?.node ?? null, checkpointId: e.checkpointId, interrupts: e.interrupts.length },
          "waiting for a human",
        );
        break;
      case "error": {
        const error = e.error as { node?: unknown; message?: unknown } | null;
        forThread(e.threadId).error(
          { node: typeof error?.node === "string" ? error.node : null, err: { message: String(error?.message ?? e.error) } },
          "step failed",
        );
        break;
      }
      case "run_ended": {
        const child = forThread(e.threadId);
        child[e.status === "error" ? "warn" : "info"]({ status: e.status }, "run ended");
        children.delete(e.threadId);
        break;
      }
      default:
        break;
    }
  });
}
