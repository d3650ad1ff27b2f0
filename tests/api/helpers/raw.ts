/**
 * The one raw-request helper of the API tests, for requests `client()` cannot make: any method (TRACE,
 * CONNECT…), any header and content type, a path sent byte for byte (invalid percent-encoding included), any
 * body. Never throws on a status; a dropped connection resolves with `status: 0` and `dropped: true`.
 */
import http from "node:http";
import { TEST_ADMIN_TOKEN } from "./server";

export interface RawResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
  /** The connection was closed without a response (or the request timed out). */
  dropped: boolean;
  error?: string;
}

export interface RawInit {
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Give up (dropped: true) after this long; default 30 s. */
  timeoutMs?: number;
  /** Credentials: the test servers' admin token unless another one is given, or none with `auth: null`. */
  auth?: string | null;
  /** For streams (server-sent events): close the connection and resolve once the text so far satisfies this. */
  stopWhen?: (text: string) => boolean;
}

export function raw(server: { url: string }, method: string, path: string, init: RawInit = {}): Promise<RawResult> {
  const base = new URL(server.url);
  return new Promise((resolve) => {
    const token = init.auth === undefined ? TEST_ADMIN_TOKEN : init.auth;
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) };
    if (init.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length"))
      headers["content-length"] = String(Buffer.byteLength(init.body));
    let settled = false;
    const done = (r: RawResult) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const req = http.request({ host: base.hostname, port: Number(base.port), method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        if (init.stopWhen) {
          const text = Buffer.concat(chunks).toString("utf8");
          if (init.stopWhen(text)) {
            done({ status: res.statusCode ?? 0, headers: res.headers, text, json: undefined, dropped: false });
            req.destroy();
          }
        }
      });
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: any;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        done({ status: res.statusCode ?? 0, headers: res.headers, text, json, dropped: false });
      });
      res.on("error", (e) => done({ status: 0, headers: {}, text: "", json: undefined, dropped: true, error: e.message }));
    });
    // CONNECT is answered through the 'connect' event (the socket is handed over).
    req.on("connect", (res, socket, head) => {
      const chunks: Buffer[] = [head];
      socket.on("data", (c: Buffer) => chunks.push(c));
      socket.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        done({ status: res.statusCode ?? 0, headers: res.headers, text, json, dropped: false });
      });
      socket.on("error", () => done({ status: res.statusCode ?? 0, headers: res.headers, text: "", json: undefined, dropped: false }));
    });
    req.setTimeout(init.timeoutMs ?? 30_000, () => {
      req.destroy(new Error("timed out"));
    });
    req.on("error", (e) => done({ status: 0, headers: {}, text: "", json: undefined, dropped: true, error: e.message }));
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}
