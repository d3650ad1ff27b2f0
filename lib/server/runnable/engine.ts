import type { CompiledGraph } from "../../engine";
import type { Checkpoint } from "../../checkpoint/types";
import type { ForkOptions, InvokeOptions, State, UpdateStateOptions } from "../../engine/types";
import type { RunnableGraph } from "./types";

/** Waypoint's own engine behind the `RunnableGraph` interface: every call goes to the compiled graph as is. */
export class EngineGraph implements RunnableGraph {
  readonly kind = "waypoint" as const;
  readonly summariesShowInterrupts = true;
  constructor(readonly app: CompiledGraph) {}

  stream(input: State | null, opts: InvokeOptions) {
    return this.app.stream(input, opts);
  }
  checkResume(threadId: string, resume: unknown, checkpointId?: string) {
    return this.app.checkResume(threadId, resume, checkpointId);
  }
  updateState(threadId: string, values: Partial<State>, options?: UpdateStateOptions) {
    return this.app.updateState(threadId, values, options);
  }
  fork(threadId: string, checkpointId: string, options?: ForkOptions) {
    return this.app.fork(threadId, checkpointId, options);
  }
  describe() {
    return this.app.describe();
  }
  /** The engine stores checkpoints as the API shows them. */
  view(cp: Checkpoint): Checkpoint {
    return cp;
  }
}
