import { route } from "@/lib/server/route";
import { threadFor, threadView } from "@/lib/server/threads";
import { isThreadNotFound, type ThreadEvent } from "@/lib/server/events";
import type { ApiThread } from "@/lib/server/serialize";
import { otherMethods } from "@/lib/server/http";

const signature = (t: ApiThread) => `${t.status}|${t.headCheckpointId}|${t.updatedAt}|${t.activeRun?.runId ?? ""}`;

export const dynamic = "force-dynamic";

/**
 * Server-sent events for one thread: first a `thread` event with its current view, then `checkpoint`,
 * `interrupt`, `error`, `run_started`, `run_ended` and `thread_updated` as they happen (plus comments as
 * heartbeats so proxies keep the connection open). A page that reconnects gets a fresh `thread` event.
 * Runs in another server process (shared PostgreSQL / Redis) publish on that process's bus, so the thread
 * record is also polled every 2 s and a changed one is sent as a new `thread` event.
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
      let polling = false;
      const poll = setInterval(async () => {
        if (polling) return;
        polling = true;
        try {
          const t = await threadView(rt, threadId);
          if (signature(t) !== seen) {
            seen = signature(t);
            send("thread", t);
          }
        } catch (err) {
          // Only a thread that is gone ends the stream; a store outage just skips this poll.
          if (!isThreadNotFound(err)) return;
          send("thread_updated", { type: "thread_updated", threadId, reason: "deleted" });
          cleanup();
        } finally {
          polling = false;
        }
      }, 2000);
      cleanup = () => {
        clearInterval(heartbeat);
        clearInterval(poll);
        unsubscribe();
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
