import type { RunInfo } from "../runs";

/**
 * What web instances sharing one PostgreSQL database or one Redis tell each other (cluster.ts): small notes that
 * something changed, never the data itself — a receiver reads what it needs from the store. PostgreSQL's NOTIFY
 * payload is limited to 8000 bytes, so a note must stay small (ids, a version, a status).
 */
export type ClusterNote =
  | { kind: "checkpoint"; threadId: string; checkpointId: string; version: number }
  | { kind: "interrupt"; threadId: string; checkpointId: string }
  | { kind: "run_started"; threadId: string; runId: string }
  | { kind: "run_ended"; threadId: string; runId: string; status: string }
  | { kind: "thread_updated"; threadId: string; reason: "edit" | "fork" | "deleted" | "cancel" }
  | { kind: "error"; threadId: string }
  /** Asks whichever instance runs the thread to cancel its run (multitask interrupt / rollback). */
  | { kind: "cancel"; threadId: string; requestId: string }
  /** The runner's answers: it has the run and is stopping it (`cancel_ack`), then it stopped (`cancelled`). */
  | { kind: "cancel_ack"; threadId: string; requestId: string; runId: string }
  | { kind: "cancelled"; threadId: string; requestId: string; runId: string; run: RunInfo | null };

/** A note on the wire: which instance sent it, so an instance skips its own (its local bus already told it). */
export type Envelope = ClusterNote & { origin: string };

/** One pub/sub connection (postgres.ts, redis.ts). Publishing never throws; a lost connection reconnects by itself. */
export interface Transport {
  readonly name: string;
  /** Starts listening; `onState(true)` each time the subscription is (re)established, `false` when it is lost. */
  start(onMessage: (payload: string) => void, onState: (live: boolean) => void): void;
  /** Resolves false when the note could not be sent (the connection is down). */
  publish(payload: string): Promise<boolean>;
  close(): Promise<void>;
}
