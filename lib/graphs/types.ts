import type { z } from "zod";
import type { StateGraph } from "../engine/graph";

/**
 * A demo graph as the server and the dashboard see it. Plain engine code (no Next.js): tests and scripts
 * import these directly. The server compiles `build()` against the configured store.
 */
export interface GraphDefinition {
  id: string;
  title: string;
  description: string;
  /** A fresh, uncompiled graph. */
  build(): StateGraph;
  /** Static interrupts, passed to compile(). */
  interruptBefore?: string[];
  interruptAfter?: string[];
  /** Super-steps one run may take (the engine's default is 10,000). */
  recursionLimit?: number;
  /** Validates a run's input before anything is saved (rejections are 422s). */
  input: z.ZodType<Record<string, unknown>>;
  /** Pre-filled in the dashboard's New-run form. */
  exampleInput: Record<string, unknown>;
  /** How to make a step fail on demand, and how to let the retry succeed (shown in the dashboard and README). */
  failureHint: string;
  /** Per interrupting node: decisions there need a quorum of distinct approvers (QuorumRule below). */
  quorum?: Record<string, QuorumRule>;
}

/**
 * Two-person (N-person) approval at an interrupting node: the run continues only once `approvals` distinct
 * reviewers have approved the same checkpoint. One non-approval (a reject, an edit) decides at once.
 */
export interface QuorumRule {
  approvals: number;
  /** The person who started the thread or caused the paused checkpoint (ran or edited it) may not approve it. */
  excludeInitiator?: boolean;
  /** Which resume values count as an approval; default `{ action: "approve" }`. */
  isApproval?: (value: unknown) => boolean;
  /** Which decide alone (a rejection); default `{ action: "reject" }`. Any other answer is refused at the node. */
  isRejection?: (value: unknown) => boolean;
}
