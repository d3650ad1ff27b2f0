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
  /** The run's id when it was chosen already (a queued run keeps the id its request was answered with). */
  runId?: string;
}
