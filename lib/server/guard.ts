import { NextResponse } from "next/server";

/**
 * Checks the request line before Next routes it. Next answers an API path with invalid percent-encoding
 * (`/api/threads/%ff%fe`) and a method its route handlers do not support (TRACE, CONNECT…) with a bare 500;
 * these are the client's mistakes, so they get the API's JSON error: 400 INVALID_PATH, 405 METHOD_NOT_ALLOWED.
 * Imported by proxy.ts (no server-only imports here: the proxy is bundled on its own).
 */
const ROUTE_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const API_ALLOW = "GET, POST, DELETE";

function error(status: number, code: string, message: string, headers: Record<string, string> = {}): NextResponse {
  return NextResponse.json({ error: { code, message } }, { status, headers: { "cache-control": "no-store", ...headers } });
}

/** The raw (still encoded) path of a request URL, without decoding anything. */
function rawPath(url: string): string {
  const afterOrigin = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "");
  const end = afterOrigin.search(/[?#]/);
  return end === -1 ? afterOrigin : afterOrigin.slice(0, end);
}

/** A response for a malformed API request line, or null when the request may go on to its route. */
export function rejectMalformed(method: string, url: string): NextResponse | null {
  if (!ROUTE_METHODS.has(method.toUpperCase()))
    return error(405, "METHOD_NOT_ALLOWED", `${method} is not allowed on the API; use GET, POST or DELETE as documented.`, { allow: API_ALLOW });
  const path = rawPath(url);
  for (const segment of path.split("/")) {
    try {
      decodeURIComponent(segment);
    } catch {
      return error(400, "INVALID_PATH", "The request path holds invalid percent-encoding (like %ff or a lone %).");
    }
  }
  try {
    new URL(url).searchParams.toString();
  } catch {
    return error(400, "INVALID_QUERY", "The query string cannot be parsed.");
  }
  return null;
}

const NODE_ONLY_METHODS = new Set(["TRACE", "TRACK", "CONNECT"]);

/**
 * TRACE, TRACK and CONNECT never reach the proxy: Next builds a fetch `Request` first, which cannot hold
 * them (a bare 500), and Node drops a CONNECT nobody listens for. `installMethodGuard` (called once from
 * instrumentation.ts) answers them on the Node HTTP server itself with the API's 405 JSON error.
 */
export function installMethodGuard(http: typeof import("node:http")): void {
  const KEY = Symbol.for("waypoint.methodGuard");
  const proto = http.Server.prototype as unknown as Record<symbol, unknown> & { emit: (event: string, ...args: unknown[]) => boolean };
  if (proto[KEY]) return;
  proto[KEY] = true;
  const body = (method: string) =>
    JSON.stringify({ error: { code: "METHOD_NOT_ALLOWED", message: `${method} is not allowed on this server; use GET, POST or DELETE as documented.` } });
  const original = proto.emit;
  proto.emit = function (this: unknown, event: string, ...args: unknown[]) {
    if (event === "request") {
      const [req, res] = args as [import("node:http").IncomingMessage, import("node:http").ServerResponse];
      if (req.method && NODE_ONLY_METHODS.has(req.method.toUpperCase())) {
        res.writeHead(405, { "content-type": "application/json", allow: API_ALLOW, "cache-control": "no-store" });
        res.end(body(req.method));
        return true;
      }
    } else if (event === "clientError") {
      // A request Node's parser rejects (an unknown method, a malformed request line or header): the API's
      // JSON 400 instead of Node's bare one.
      const [err, socket] = args as [NodeJS.ErrnoException, import("node:net").Socket];
      if (err?.code !== "ECONNRESET" && socket.writable) {
        const text = JSON.stringify({ error: { code: "BAD_REQUEST", message: "The request could not be parsed as HTTP." } });
        socket.end(
          `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
        );
      } else socket.destroy();
      return true;
    } else if (event === "connect") {
      const [req, socket] = args as [import("node:http").IncomingMessage, import("node:net").Socket];
      const text = body(req.method ?? "CONNECT");
      socket.on("error", () => {});
      socket.end(
        `HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json\r\nallow: ${API_ALLOW}\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
      return true;
    }
    return original.call(this, event, ...args);
  };
}
