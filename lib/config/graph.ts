import type { z } from "zod";
import type { StateGraph } from "../engine/graph";

/**
 * What a graph module exports for a config entry of kind "waypoint" (the default): the graph's behaviour.
 * Its name, description and example input live in the config entry (schema.ts), so one module can back
 * several entries (the demo `approval` and `approval-2p` differ only by `quorum`).
 */
export interface GraphSpec {
  /** A fresh, uncompiled graph. The server compiles it once against the configured store. */
  build(): StateGraph;
  /** Validates a run's input before anything is saved (rejections are 422s). Default: any JSON object. */
  input?: z.ZodType<Record<string, unknown>>;
  /** Static interrupts, passed to compile(). */
  interruptBefore?: string[];
  interruptAfter?: string[];
  /** Super-steps one run may take (the engine's default is 10,000). */
  recursionLimit?: number;
  /** How to make a step fail on demand, and how to let the retry succeed (shown in the dashboard). */
  failureHint?: string;
  /**
   * Which channels say how far a run has got (numbers): the dashboard draws a progress bar from them while the
   * thread runs. Without it, it shows the last node that ran.
   */
  progress?: { done: string; total: string };
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

/** Type-checks a graph module's export; returns it unchanged. */
export function defineGraph(spec: GraphSpec): GraphSpec {
  return spec;
}

/**
 * Duck-typed, not `instanceof`: graph modules are loaded at run time with their own copy of the engine
 * (see load.ts), so a class check against the server's copy would always fail.
 */
export function isGraphSpec(x: unknown): x is GraphSpec {
  return typeof x === "object" && x !== null && typeof (x as { build?: unknown }).build === "function";
}

/**
 * A graph as the server and the dashboard see it: a config entry's metadata joined to its module's spec, with
 * the spec's defaults filled in. Plain data and functions (no Next.js): tests and scripts use these directly.
 */
export interface GraphDefinition extends Required<Pick<GraphSpec, "input" | "failureHint">>, Omit<GraphSpec, "input" | "failureHint"> {
  id: string;
  title: string;
  description: string;
  /** Pre-filled in the dashboard's New-run form. */
  exampleInput: Record<string, unknown>;
  /** The config entry's retention policy, or null (threads are kept until deleted). */
  retention: GraphRetention | null;
  /** Which runner runs it: Waypoint's engine (`build`) or LangGraph.js (`langgraph`, a compiled graph). */
  kind: "waypoint" | "langgraph";
  /** For kind "langgraph": the module's compiled graph (lib/server/runnable/lg-app.ts checks its shape). */
  langgraph?: unknown;
}

/** `retention` of a config entry, parsed (schema.ts). */
export interface GraphRetention {
  deleteAfter?: string;
  statuses: ("done" | "error" | "cancelled" | "idle" | "interrupted")[];
  keepInterrupted: boolean;
  keepLatest?: number;
}
