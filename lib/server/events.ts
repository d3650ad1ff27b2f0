import "server-only";
import { EventEmitter } from "node:events";

/**
 * In-process event bus, one channel per thread, feeding the SSE endpoint. Events are hints for live pages
 * (a reconnecting page re-reads the thread); runs in other processes are not seen here.
 */
export type ThreadEvent =
  | { type: "run_started"; threadId: string; runId: string }
  | { type: "checkpoint"; threadId: string; checkpoint: unknown }
  | { type: "interrupt"; threadId: string; interrupts: unknown[]; checkpointId: string }
  | { type: "error"; threadId: string; error: unknown }
  | { type: "custom"; threadId: string; node: string; data: unknown }
  | { type: "run_ended"; threadId: string; runId: string; status: string }
  | { type: "thread_updated"; threadId: string; reason: "edit" | "fork" | "deleted" };

export class EventBus {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  publish(event: ThreadEvent): void {
    this.emitter.emit(event.threadId, event);
  }
  subscribe(threadId: string, fn: (event: ThreadEvent) => void): () => void {
    this.emitter.on(threadId, fn);
    return () => this.emitter.off(threadId, fn);
  }
}
