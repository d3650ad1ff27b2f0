/**
 * The API suite checks every answer against lib/api/responses.ts through tests/api/helpers/shapes.ts; this file
 * shows that check can fail: an undeclared field, a missing one, a wrong type and a malformed error all throw,
 * naming the route, while real-looking answers pass.
 */
import { describe, expect, it } from "vitest";
import { checkShape, schemaFor } from "../api/helpers/shapes";
import { ApiErrorBody, ApiThread, THREAD_EVENT_NAMES } from "../../lib/api/responses";

const thread = {
  threadId: "t1",
  graphId: "approval",
  status: "interrupted",
  headCheckpointId: "c1",
  headVersion: 3,
  checkpointCount: 3,
  interrupts: [{ id: "i1", node: "review", kind: "dynamic", value: { draft: "x" } }],
  error: null,
  metadata: { owner: "test" },
  activeRun: null,
  createdAt: "2026-11-30T00:00:00.000Z",
  updatedAt: "2026-11-30T00:00:01.000Z",
};
const JSON_TYPE = "application/json";

describe("response shapes", () => {
  it("accepts an answer as the server sends it", () => {
    expect(() => checkShape("GET", "http://h/api/threads/t1", 200, JSON_TYPE, thread)).not.toThrow();
    expect(ApiThread.parse(thread)).toEqual(thread);
  });

  it("refuses an undeclared field, a missing field and a wrong type, naming the route", () => {
    expect(() => checkShape("GET", "http://h/api/threads/t1", 200, JSON_TYPE, { ...thread, extra: 1 })).toThrow(/GET \/api\/threads\/t1 → 200/);
    const { status: _missing, ...noStatus } = thread;
    expect(() => checkShape("GET", "http://h/api/threads/t1", 200, JSON_TYPE, noStatus)).toThrow(/status/);
    expect(() => checkShape("GET", "http://h/api/threads/t1", 200, JSON_TYPE, { ...thread, headVersion: "3" })).toThrow(/headVersion/);
    expect(() => checkShape("GET", "http://h/api/threads/t1", 200, JSON_TYPE, { ...thread, status: "paused" })).toThrow(/status/);
  });

  it("holds every error answer to { error: { code, message } }", () => {
    expect(() => checkShape("POST", "http://h/api/threads", 400, JSON_TYPE, { error: { code: "INVALID_BODY", message: "m" } })).not.toThrow();
    expect(() => checkShape("POST", "http://h/api/threads", 400, JSON_TYPE, { message: "m" })).toThrow(/error/);
    expect(ApiErrorBody.safeParse({ error: { code: "X", message: "m", secret: 1 } }).success).toBe(false);
  });

  it("leaves Better Auth's and the LangGraph protocol's routes, and non-JSON answers, to their own tests", () => {
    expect(schemaFor("POST", "http://h/api/auth/sign-in/email", 200, JSON_TYPE)).toBeNull();
    expect(schemaFor("GET", "http://h/api/langgraph/threads/t1", 200, JSON_TYPE)).toBeNull();
    expect(schemaFor("GET", "http://h/api/audit/export", 200, "application/x-ndjson")).toBeNull();
    expect(schemaFor("GET", "http://h/api/threads", 200, JSON_TYPE)).not.toBeNull();
  });

  it("names every event the stream sends, `thread` first", () => {
    expect(THREAD_EVENT_NAMES).toEqual(["thread", "run_started", "checkpoint", "interrupt", "error", "custom", "run_ended", "thread_updated"]);
  });
});
