/**
 * The pieces that keep malformed requests and stuck stores from reaching a 500 or a hang, tested directly:
 * the request guard's decisions, the body limits, outage reasons and the call deadline (with a real memory
 * store whose calls are made to wait, not a mock).
 */
import { describe, expect, it } from "vitest";
import { rejection } from "../../lib/server/guard";
import { MAX_JSON_DEPTH, jsonBodyProblem } from "../../lib/server/json-limits";
import { guardStore, outageReason, storeLabel, unavailable, withDeadline } from "../../lib/checkpoint/timeouts";
import { createMemoryStore } from "../../lib/checkpoint";
import { isStoreUnavailable } from "../../lib/errors";

describe("request guard", () => {
  it("refuses bad percent-encoding in API paths, unsupported methods and declared-too-large bodies", () => {
    expect(rejection("GET", "/api/threads/%ff%fe", undefined)).toMatchObject({ status: 400, code: "INVALID_PATH" });
    expect(rejection("HEAD", "/api/threads/%/runs", undefined)).toMatchObject({ status: 400 });
    expect(rejection("GET", "/api/threads/%e2%82", undefined)).toMatchObject({ status: 400 });
    expect(rejection("TRACE", "/api/threads", undefined)).toMatchObject({
      status: 405,
      code: "METHOD_NOT_ALLOWED",
      headers: { allow: expect.any(String) },
    });
    expect(rejection("POST", "/api/threads", String(50 * 2 ** 20))).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
  });

  it("lets well-formed requests through (query strings are the route's to judge)", () => {
    expect(rejection("GET", "/api/threads/abc%20def?limit=%ff", undefined)).toBeNull();
    expect(rejection("POST", "/api/threads", "120")).toBeNull();
    expect(rejection("GET", "/threads/%ff", undefined)).toBeNull(); // not the API: Next's own pages
    expect(rejection("OPTIONS", "/api/threads", undefined)).toBeNull(); // each route answers 405 with its Allow
  });
});

describe("JSON body limits", () => {
  it("accepts ordinary JSON, including astral characters", () => {
    expect(jsonBodyProblem({ a: [1, { b: "ok 💥 é" }], c: null })).toBeNull();
  });
  it("names the path of a \\u0000, a lone surrogate, or too deep a value", () => {
    expect(jsonBodyProblem({ input: { topic: "a\u0000" } })).toMatch(/^input\.topic: .*\\u0000/);
    expect(jsonBodyProblem({ metadata: { note: "\ud800" } })).toMatch(/^metadata\.note: .*surrogate/);
    expect(jsonBodyProblem({ m: { ["k\udc00"]: 1 } })).toMatch(/^m: a key .*surrogate/);
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(jsonBodyProblem({ command: { resume: deep } })).toMatch(new RegExp(`more than ${MAX_JSON_DEPTH} levels`));
  });
});

describe("store outages", () => {
  it("reasons are short and driver-neutral", () => {
    expect(outageReason(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))).toBe("connection refused");
    expect(outageReason(new Error("Query read timeout"))).toBe("no answer within the timeout");
    expect(outageReason({ cause: new Error("Connection terminated unexpectedly") })).toBe("connection lost");
    const e = unavailable(storeLabel("postgres", "postgresql://u:secret@db.example:6543/x"), new Error("timeout"), 1500);
    expect(e.message).toBe("PostgreSQL at db.example:6543 from DATABASE_URL is unreachable: no answer within 1500 ms.");
    const refused = unavailable(storeLabel("redis", "redis://h:7000"), Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    expect(refused.message).toBe("Redis at h:7000 from REDIS_URL is unreachable: connection refused (ECONNREFUSED).");
    expect(e.message).not.toContain("secret");
  });

  it("withDeadline rejects STORE_UNAVAILABLE when a call does not settle", async () => {
    const err = (await withDeadline(new Promise(() => {}), 50, "Redis at h:1").catch((e: unknown) => e)) as Error;
    expect(isStoreUnavailable(err)).toBe(true);
    expect(err.message).toBe("Redis at h:1 is unreachable: no answer within 50 ms.");
  });

  it("guardStore bounds every contract call and reports outages and answers", async () => {
    const mem = await createMemoryStore();
    let stall = false;
    const slow = new Proxy(mem, {
      get(t, p, r) {
        const v = Reflect.get(t, p, r);
        if (p === "getThread") return (...a: unknown[]) => (stall ? new Promise(() => {}) : (v as (...x: unknown[]) => unknown).apply(t, a));
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
    const seen: string[] = [];
    const store = guardStore(slow, { deadlineMs: 100, label: "memory", onUnavailable: () => seen.push("down"), onAnswer: () => seen.push("up") });
    await store.updateThread("t1", { status: "idle" });
    expect((await store.getThread("t1")).status).toBe("idle");
    stall = true;
    const err = await store.getThread("t1").catch((e) => e);
    expect(isStoreUnavailable(err)).toBe(true);
    expect(store.kind).toBe("memory");
    expect(seen).toEqual(["up", "up", "down"]);
  });
});
