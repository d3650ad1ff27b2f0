import type { RunnableConfig } from "@langchain/core/runnables";

/**
 * What the server uses of a LangGraph.js compiled graph (a `Pregel`), typed by shape: graph modules are loaded
 * at run time (lib/config/load.ts) and may bring their own copy of @langchain/langgraph, so nothing here relies
 * on class identity (LangGraph itself recognises a `Command` by its `lg_name`).
 */
export interface LangGraphApp {
  checkpointer?: unknown;
  nodes: Record<string, unknown>;
  channels: Record<string, unknown>;
  interruptBefore?: string[] | "*";
  interruptAfter?: string[] | "*";
  withConfig(config: Record<string, unknown>): LangGraphApp;
  stream(input: unknown, options: Record<string, unknown>): Promise<AsyncIterable<unknown>>;
  getState(config: RunnableConfig): Promise<LgSnapshot>;
  updateState(config: RunnableConfig, values: unknown, asNode?: string): Promise<RunnableConfig>;
  getGraph(): { toJSON(): { nodes: { id: string; metadata?: Record<string, unknown> }[]; edges: LgEdge[] } };
}

export interface LgEdge {
  source: string;
  target: string;
  conditional?: boolean;
  data?: unknown;
}

export interface LgSnapshot {
  values: Record<string, unknown>;
  next: string[];
  tasks: { id: string; name: string; error?: unknown; interrupts: { id?: string; value?: unknown }[] }[];
  config?: RunnableConfig;
}

/** A compiled graph (has `getState` and `stream`); a `StateGraph` builder has `compile` instead. */
export function isLangGraphApp(x: unknown): x is LangGraphApp {
  const o = x as Partial<Record<string, unknown>> | null;
  return (
    typeof o === "object" && o !== null && typeof o.getState === "function" && typeof o.stream === "function" && typeof o.withConfig === "function"
  );
}

export function isLangGraphBuilder(x: unknown): x is { compile(opts?: Record<string, unknown>): LangGraphApp } {
  const o = x as Partial<Record<string, unknown>> | null;
  return typeof o === "object" && o !== null && typeof o.compile === "function" && typeof o.addNode === "function";
}
