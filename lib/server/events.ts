import "server-only";
import { EventEmitter } from "node:events";
import type { ThreadEvent } from "../api/responses";
import { errFields, log } from "./log";

export type { ThreadEvent };
/** For the events route, which may import only lib/server: a deleted thread ends its stream. */
export { isThreadNotFound } from "../errors";

/**
 * In-process event bus, one channel per thread, feeding the SSE endpoint. Events are hints for live pages
 * (a reconnecting page re-reads the thread); runs in other processes are not seen here.
 */
/** The channel every event is also sent on; a symbol, so no thread id can collide with it. */
const ALL = Symbol("all threads");

export class EventBus {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  publish(event: ThreadEvent): void {
    this.emitter.emit(event.threadId, event);
    this.emitter.emit(ALL, event);
  }
  /** Every thread's events (metrics): a listener that must never throw into the publisher. */
  subscribeAll(fn: (event: ThreadEvent) => void): () => void {
    const safe = (e: ThreadEvent) => {
      try {
        fn(e);
      } catch (err) {
        log().error(errFields(err), "event listener failed");
      }
    };
    this.emitter.on(ALL, safe);
    return () => this.emitter.off(ALL, safe);
  }
  subscribe(threadId: string, fn: (event: ThreadEvent) => void): () => void {
    this.emitter.on(threadId, fn);
    return () => this.emitter.off(threadId, fn);
  }
}
