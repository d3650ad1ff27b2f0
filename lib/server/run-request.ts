import type { ResumeCommand, State } from "../engine/types";

/** What starting a run asks of the run manager (runs.ts); a module of its own so recovery.ts can name it too. */
export interface RunRequest {
  input: State | null;
  checkpointId?: string;
  command?: ResumeCommand;
  /** Recorded on every checkpoint of the run: who caused it (actor, actorId), the decision and its reason. */
  metadata?: Record<string, unknown>;
  /** Stale-decision guard (the engine checks it under the run lock). */
  expectedCheckpointId?: string;
  /** The run's id, when it was given one before it started (a queued run: run-queue.ts); else a new one. */
  runId?: string;
  /** Called just before the run is started (for a queued run: when its turn comes), e.g. to start listening to its events. */
  beforeStart?: () => void;
}
