/**
 * A server-sent events reader for the API tests: parses `event:` / `data:` frames as they arrive and records
 * when each one came (for the cross-instance latency figures), until `close()`.
 */
import http from "node:http";
import { TEST_ADMIN_TOKEN } from "./server";

export interface SseEvent {
  event: string;
  data: any;
  /** Date.now() when the frame was parsed. */
  at: number;
}

export interface SseStream {
  events: SseEvent[];
  /** Resolves with the first event (already received or to come) that satisfies `match`. */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export function openSse(base: string, path: string): Promise<SseStream> {
  const url = new URL(base);
  const events: SseEvent[] = [];
  const waiters = new Set<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }>();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: Number(url.port),
        path,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, accept: "text/event-stream" },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`SSE ${path}: status ${res.statusCode}`));
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buf += chunk;
          let cut: number;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const frame = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let event = "message";
            const data: string[] = [];
            for (const line of frame.split("\n")) {
              if (line.startsWith("event: ")) event = line.slice(7);
              else if (line.startsWith("data: ")) data.push(line.slice(6));
            }
            if (!data.length) continue; // a heartbeat comment
            const e: SseEvent = { event, data: JSON.parse(data.join("\n")), at: Date.now() };
            events.push(e);
            for (const w of [...waiters])
              if (w.match(e)) {
                waiters.delete(w);
                w.resolve(e);
              }
          }
        });
        resolve({
          events,
          next(match, timeoutMs = 30_000) {
            const found = events.find(match);
            if (found) return Promise.resolve(found);
            return new Promise((res2, rej2) => {
              const w = { match, resolve: (e: SseEvent) => (clearTimeout(t), res2(e)) };
              const t = setTimeout(() => (waiters.delete(w), rej2(new Error(`no matching event on ${path} within ${timeoutMs} ms`))), timeoutMs);
              waiters.add(w);
            });
          },
          close: () => req.destroy(),
        });
      },
    );
    req.on("error", () => {});
    req.end();
  });
}

/** The p-th percentile (0-100) of a list of numbers, nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
