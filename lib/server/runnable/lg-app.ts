import type { RunnableConfig } from "@langchain/core/runnables";
import type { CheckpointMetadata, ChannelVersions, Checkpoint as LgCheckpoint } from "@langchain/langgraph-checkpoint";
import type { CheckpointStore, SaveOptions } from "../../checkpoint/types";
import { WaypointSaver } from "../../langgraph/saver";
import type { LangGraphApp } from "../../langgraph/app-shape";

export { isLangGraphApp, isLangGraphBuilder, type LangGraphApp, type LgEdge, type LgSnapshot } from "../../langgraph/app-shape";

/**
 * `WaypointSaver` that tells the runner each checkpoint it saved, by thread: the runner turns them into the
 * run's `checkpoint` events (the dashboard's live timeline) without re-reading the store.
 */
export class ObservedSaver extends WaypointSaver {
  private readonly listeners = new Map<string, { saved: (checkpointId: string) => void; metadata: Record<string, unknown>; lockOwner?: string }>();

  constructor(store: CheckpointStore) {
    super(store);
  }

  /**
   * While the thread's lock is held (a run, an edit): `saved` hears of each root checkpoint, and `metadata` (who,
   * why, the run id) is added to each — LangGraph.js does not copy a call's config metadata onto its checkpoints.
   * `lockOwner`: the lock's owner, which fences every save on the thread (SaveOptions.lockOwner), subgraphs' too.
   */
  listen(threadId: string, saved: (checkpointId: string) => void, metadata: Record<string, unknown> = {}, lockOwner?: string): () => void {
    const entry = { saved, metadata: Object.fromEntries(Object.entries(metadata).filter(([, v]) => v !== undefined)), lockOwner };
    this.listeners.set(threadId, entry);
    return () => {
      if (this.listeners.get(threadId) === entry) this.listeners.delete(threadId);
    };
  }

  protected override saveOptions(threadId: string): SaveOptions | undefined {
    const lockOwner = this.listeners.get(threadId)?.lockOwner;
    return lockOwner ? { lockOwner } : undefined;
  }

  override async put(config: RunnableConfig, checkpoint: LgCheckpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions) {
    const root = !config.configurable?.checkpoint_ns;
    const entry = root ? this.listeners.get(String(config.configurable?.thread_id)) : undefined;
    const saved = await super.put(config, checkpoint, entry ? { ...entry.metadata, ...metadata } : metadata, newVersions);
    entry?.saved(String(saved.configurable?.checkpoint_id));
    return saved;
  }
}

/** The graph as the server runs it: the module's graph with the server's saver as its checkpointer (a copy; the module's own object is left alone). */
export function withSaver(graph: LangGraphApp, saver: WaypointSaver): LangGraphApp {
  const app = graph.withConfig({});
  app.checkpointer = saver;
  return app;
}
