import { TEST_ADMIN_TOKEN } from "./server";
import { checkShape } from "./shapes";
/** A tiny JSON client for the API tests: every call returns status, parsed body and headers. */
export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * `auth`: a bearer token (default: the test servers' admin token), `{ cookie }` for a signed-in browser
 * session (sent with a same-origin Origin header, as a browser would), or null for no credentials.
 */
export type Auth = string | { cookie: string } | null;

export function authHeaders(base: string, auth: Auth): Record<string, string> {
  if (auth === null) return {};
  if (typeof auth === "string") return { authorization: `Bearer ${auth}` };
  return { cookie: auth.cookie, origin: new URL(base).origin };
}

export function client(base: string, auth: Auth = TEST_ADMIN_TOKEN) {
  async function call<T = any>(method: string, path: string, body?: unknown, raw?: string): Promise<Res<T>> {
    const res = await fetch(base + path, {
      method,
      headers: { ...authHeaders(base, auth), ...(body !== undefined || raw !== undefined ? { "content-type": "application/json" } : {}) },
      body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text so the assertion shows it */
    }
    checkShape(method, base + path, res.status, res.headers.get("content-type"), parsed);
    return { status: res.status, body: parsed, headers: res.headers };
  }
  return {
    get: <T = any>(p: string) => call<T>("GET", p),
    post: <T = any>(p: string, body?: unknown) => call<T>("POST", p, body),
    postRaw: <T = any>(p: string, raw: string) => call<T>("POST", p, undefined, raw),
    del: <T = any>(p: string) => call<T>("DELETE", p),
    /** Any method, for 405 checks. */
    send: <T = any>(method: string, p: string, body?: unknown) => call<T>(method, p, body),
    /** Polls GET path until `done(body)` or the timeout. */
    async until<T = any>(p: string, done: (b: T) => boolean, timeoutMs = 60_000): Promise<T> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const r = await call<T>("GET", p);
        if (r.status === 200 && done(r.body)) return r.body;
        if (Date.now() > end) throw new Error(`Timed out waiting on ${p}; last: ${JSON.stringify(r.body).slice(0, 500)}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    },
  };
}

export type Client = ReturnType<typeof client>;
