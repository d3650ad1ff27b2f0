/**
 * A guard on the Node HTTP server in front of Next, for requests Next would answer badly: a path with invalid
 * percent-encoding (`/api/threads/%ff%fe`, Next: a bare 500), a method its route handlers cannot receive
 * (TRACE, TRACK: a bare 500; CONNECT: a dropped connection), a request Node cannot parse (a bare 400), a body
 * declared larger than the limit (would be read before the route could refuse it). These are the client's
 * mistakes, so they get the API's JSON error: 400 INVALID_PATH / BAD_REQUEST, 405 METHOD_NOT_ALLOWED (with
 * Allow), 413 PAYLOAD_TOO_LARGE. Installed once, by instrumentation.ts, on `http.Server.prototype.emit`.
 */
import type http from "node:http";
import type net from "node:net";

const ROUTE_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const API_ALLOW = "GET, POST, DELETE";
const KEY = Symbol.for("waypoint.requestGuard");

type Rejection = { status: number; code: string; message: string; headers?: Record<string, string> };

const trustProxy = () => /^(1|true|yes)$/i.test(process.env.WAYPOINT_TRUST_PROXY ?? "");

function maxBodyBytes(): number {
  const n = Number(process.env.WAYPOINT_MAX_BODY_BYTES);
  return n > 0 ? n : 1024 * 1024;
}

/** The raw (still encoded) path of a request target, without decoding anything. */
function rawPath(target: string): string {
  const afterOrigin = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "");
  const end = afterOrigin.search(/[?#]/);
  return end === -1 ? afterOrigin : afterOrigin.slice(0, end);
}

/** Why a request must be refused before it reaches Next, or null to let it through. */
export function rejection(method: string, target: string, contentLength: string | undefined): Rejection | null {
  const path = rawPath(target);
  const api = path === "/api" || path.startsWith("/api/");
  if (!ROUTE_METHODS.has(method.toUpperCase()))
    return {
      status: 405,
      code: "METHOD_NOT_ALLOWED",
      message: `${method} is not allowed on this server; use GET, POST or DELETE as documented.`,
      headers: { allow: API_ALLOW },
    };
  if (!api) return null;
  for (const segment of path.split("/")) {
    try {
      decodeURIComponent(segment);
    } catch {
      return { status: 400, code: "INVALID_PATH", message: "The request path holds invalid percent-encoding (like %ff or a lone %)." };
    }
  }
  if (contentLength !== undefined && Number(contentLength) > maxBodyBytes())
    return { status: 413, code: "PAYLOAD_TOO_LARGE", message: `The request body is larger than ${maxBodyBytes()} bytes.` };
  return null;
}

function rawResponse(socket: net.Socket, status: number, reason: string, code: string, message: string, headers: Record<string, string> = {}): void {
  const text = JSON.stringify({ error: { code, message } });
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  socket.on("error", () => {});
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncache-control: no-store\r\n${extra}content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}

export function installRequestGuard(httpModule: typeof http): void {
  const proto = httpModule.Server.prototype as unknown as Record<symbol, unknown> & { emit: (event: string, ...args: unknown[]) => boolean };
  if (proto[KEY]) return;
  proto[KEY] = true;
  const original = proto.emit;
  const onConnect = (req: http.IncomingMessage, socket: net.Socket) =>
    rawResponse(socket, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", `${req.method} is not allowed on this server.`, { allow: API_ALLOW });

  proto.emit = function (this: http.Server, event: string, ...args: unknown[]) {
    if (event === "connection") {
      // Node drops a CONNECT request unless the server listens for it.
      if (this.listenerCount("connect") === 0) this.on("connect", onConnect);
    } else if (event === "request") {
      const [req, res] = args as [http.IncomingMessage, http.ServerResponse];
      // The client address recorded in the audit trail and used by sign-in rate limits: forwarding headers are
      // believed only behind a proxy the operator names (WAYPOINT_TRUST_PROXY=1); otherwise they are dropped and
      // Next fills x-forwarded-for from the socket, so a client cannot choose the address it is recorded under.
      if (!trustProxy()) {
        delete req.headers["x-forwarded-for"];
        delete req.headers["x-real-ip"];
      }
      const r = rejection(req.method ?? "GET", req.url ?? "/", req.headers["content-length"]);
      if (r) {
        const send = () => {
          if (res.headersSent) return;
          res.writeHead(r.status, { "content-type": "application/json", "cache-control": "no-store", connection: "close", ...(r.headers ?? {}) });
          res.end(JSON.stringify({ error: { code: r.code, message: r.message } }));
        };
        const declared = Number(req.headers["content-length"] ?? 0);
        const chunked = /chunked/i.test(String(req.headers["transfer-encoding"] ?? ""));
        // The body is read (and dropped) before the answer: closing while the client still sends makes its write
        // fail (EPIPE) before it reads the answer. Not waited for: a body that does not arrive within 2 s, or
        // that goes on past 8 times the size limit (then the connection is cut after the answer).
        if (req.complete || (!chunked && !(declared > 0))) send();
        else {
          const timer = setTimeout(send, 2_000);
          timer.unref?.();
          let dropped = 0;
          req.on("data", (chunk: Buffer) => {
            dropped += chunk.length;
            if (dropped > 8 * maxBodyBytes()) {
              clearTimeout(timer);
              send();
              req.socket.destroySoon();
            }
          });
          req.on("end", () => {
            clearTimeout(timer);
            send();
          });
          req.on("error", () => clearTimeout(timer));
        }
        req.resume();
        return true;
      }
    } else if (event === "clientError") {
      // A request Node's parser rejects (an unknown method, a malformed request line or header).
      const [err, socket] = args as [NodeJS.ErrnoException, net.Socket];
      if (err?.code !== "ECONNRESET" && socket.writable)
        rawResponse(socket, 400, "Bad Request", "BAD_REQUEST", "The request could not be parsed as HTTP.");
      else socket.destroy();
      return true;
    }
    return original.call(this, event, ...args);
  };
}
