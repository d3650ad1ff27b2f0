import "server-only";
import { subscribeThread, threadWants, wants, type LgEvent, type RunChannel } from "./channel";

/**
 * Server-sent events in the framing the SDK's SSE decoder parses: `id`, `event`, one `data` line of JSON, a blank
 * line; comments as heartbeats (the SDK also uses them to detect a half-open connection). A run's stream ends
 * with an `end` event once the run is over.
 */
const enc = new TextEncoder();
const frame = (e: LgEvent) => enc.encode(`id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data ?? null)}\n\n`);
const HEARTBEAT_MS = 10_000;

const HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

function eventStream(
  req: Request,
  attach: (send: (e: LgEvent | null) => void) => () => void,
  onClientGone?: () => void,
  headers: Record<string, string> = {},
) {
  let cleanup = () => {};
  let finished = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let detach = () => {};
      const beat = setInterval(() => {
        try {
          controller.enqueue(enc.encode(": heartbeat\n\n"));
        } catch {
          cleanup();
        }
      }, HEARTBEAT_MS);
      cleanup = () => {
        clearInterval(beat);
        detach();
        try {
          controller.close();
        } catch {
          /* already closed */
        }
      };
      detach = attach((e) => {
        try {
          if (e) controller.enqueue(frame(e));
          else {
            finished = true;
            controller.enqueue(enc.encode(`event: end\ndata: null\n\n`));
            cleanup();
          }
        } catch {
          cleanup();
        }
      });
      req.signal.addEventListener(
        "abort",
        () => {
          if (!finished) onClientGone?.();
          cleanup();
        },
        { once: true },
      );
    },
    cancel() {
      if (!finished) onClientGone?.();
      cleanup();
    },
  });
  return new Response(stream, { headers: { ...HEADERS, ...headers } });
}

/** A run's events for these stream modes, after `after` (Last-Event-ID) or from the start. */
export function runStream(
  req: Request,
  channel: RunChannel,
  modes: string[],
  after: number | null,
  onClientGone?: () => void,
  headers: Record<string, string> = {},
) {
  return eventStream(
    req,
    (send) => channel.subscribe(after, (e) => (e === null || wants(modes, e.event) ? send(e) : undefined)),
    onClientGone,
    headers,
  );
}

/**
 * A run this server has no events of (another server runs it, or it ended long ago): the events `later` gives
 * once it has ended (e.g. its final values), then `end`.
 */
export function endedStream(req: Request, later: () => Promise<{ event: string; data: unknown }[]> = async () => []) {
  return eventStream(req, (send) => {
    let open = true;
    later()
      .then((events) => events.forEach((e, i) => open && send({ id: i + 1, ...e })))
      .catch(() => {})
      .finally(() => open && send(null));
    return () => {
      open = false;
    };
  });
}

/** Every protocol run's events on the thread from now on, until the client disconnects. */
export function threadStream(req: Request, threadId: string, modes: string[]) {
  return eventStream(req, (send) => subscribeThread(threadId, (e, runModes) => (threadWants(modes, runModes, e.event) ? send(e) : undefined)));
}
