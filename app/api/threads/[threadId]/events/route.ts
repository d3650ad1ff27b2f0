import { route } from "@/lib/server/route";
import { threadFor, threadView } from "@/lib/server/threads";
import { isThreadNotFound, type ThreadEvent } from "@/lib/server/events";
import type { ApiThread } from "@/lib/server/serialize";
import { otherMethods } from "@/lib/server/http";
import { followOtherInstances } from "@/lib/server/pubsub/follow";

const signature = (t: ApiThread) => `${t.status}|${t.headCheckpointId}|${t.updatedAt}|${t.activeRun?.runId ?? ""}`;

export const dynamic = "force-dynamic";

/**
 * Server-sent events for one thread: first a `thread` event with its current view, then `checkpoint`,
 * `interrupt`, `error`, `run_started`, `run_ended` and `thread_updated` as they happen (plus comments as
 * heartbeats so proxies keep the connection open). A page that reconnects gets a fresh `thread` event.
 * Runs in another server process (shared PostgreSQL / Redis) reach this stream through the store's pub/sub
 * (lib/server/pubsub): their notes become the same events, read back from the store, plus a `thread` event when
 * the view changed. Without a pub/sub (SQLite, file, memory) or while it is down, the thread record is polled
 * every 2 s instead and a changed one is sent as a new `thread` event.
 */
export const GET = route<{ threadId: string }>(async (rt, req, { threadId }, who) => {
  const first = await threadFor(rt, who, threadId); // 404 for an unknown thread, before the stream opens
  const enc = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (type: string, data: unknown) => {
        try {
          controller.enqueue(enc.encode(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`));
        } catch {
          cleanup();
        }
      };
      send("thread", first);
      const unsubscribe = rt.bus.subscribe(threadId, (e: ThreadEvent) => send(e.type, e));
      const heartbeat = setInterval(() => {
        try {
          controller.enqueue(enc.encode(`: keep-alive\n\n`));
        } catch {
          cleanup();
        }
      }, 15_000);
      let seen = signature(first);
      // One re-read at a time; a request made meanwhile runs once more after it (a note must not be dropped).
      let reading: Promise<void> | null = null;
      let again = false;
      const refresh = (): Promise<void> => {
        if (reading) {
          again = true;
          return reading;
        }
        reading = (async () => {
          do {
            again = false;
            try {
              const t = await threadView(rt, threadId);
              if (signature(t) !== seen) {
                seen = signature(t);
                send("thread", t);
              }
            } catch (err) {
              // Only a thread that is gone ends the stream; a store outage just skips this read.
              if (!isThreadNotFound(err)) return;
              send("thread_updated", { type: "thread_updated", threadId, reason: "deleted" });
              cleanup();
              return;
            }
          } while (again);
        })().finally(() => (reading = null));
        return reading;
      };
      const unfollow = followOtherInstances(rt, threadId, send, refresh);
      // What was said while the pub/sub was down is re-read once it is back.
      const offResync = rt.cluster.onResync(() => void refresh());
      // Polled every 2 s without the pub/sub; with it, every 30 s all the same, for the changes no event announces
      // (retention pruning a thread, a note lost in a reconnect the driver did not notice).
      let ticks = 0;
      const poll = setInterval(() => {
        if (!rt.cluster.live || ++ticks % 15 === 0) void refresh();
      }, 2000);
      cleanup = () => {
        clearInterval(heartbeat);
        clearInterval(poll);
        unsubscribe();
        unfollow();
        offResync();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      req.signal.addEventListener("abort", () => cleanup(), { once: true });
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
