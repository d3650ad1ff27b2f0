/**
 * Every answer the API tests receive through `client()` is checked against the response schema of its route
 * (lib/api/responses.ts): a field the server stops sending, sends with another type, or sends undeclared fails
 * the test that made the call, with the route and zod's message. Error answers (4xx/5xx) must be ApiErrorBody.
 * Better Auth's own routes (/api/auth/*) and the LangGraph protocol (/api/langgraph/*, which has its own shapes
 * and its own tests with the official SDK) are outside this contract.
 */
import type { z } from "zod";
import * as R from "../../../lib/api/responses";

type Rule = [method: string, path: RegExp, schema: z.ZodType];

const T = "/api/threads/[^/]+";
const RULES: Rule[] = [
  ["GET", /^\/api\/graphs$/, R.ApiGraphList],
  ["GET", /^\/api\/graphs\/[^/]+$/, R.ApiGraph],
  ["GET", /^\/api\/threads$/, R.ApiThreadPage],
  ["POST", /^\/api\/threads$/, R.ApiThread],
  ["GET", /^\/api\/thread-counts$/, R.ApiThreadCounts],
  ["GET", new RegExp(`^${T}$`), R.ApiThread],
  ["DELETE", new RegExp(`^${T}$`), R.ApiDeleted],
  ["POST", new RegExp(`^${T}/runs$`), R.ApiRunResult],
  ["POST", new RegExp(`^${T}/runs/cancel$`), R.ApiCancelResult],
  ["GET", new RegExp(`^${T}/state$`), R.ApiState],
  ["POST", new RegExp(`^${T}/state$`), R.ApiCheckpointResult],
  ["POST", new RegExp(`^${T}/fork$`), R.ApiCheckpointResult],
  ["GET", new RegExp(`^${T}/history$`), R.ApiHistoryPage],
  ["GET", new RegExp(`^${T}/storage$`), R.ApiThreadStorage],
  ["GET", new RegExp(`^${T}/checkpoints/[^/]+$`), R.ApiCheckpoint],
  ["GET", new RegExp(`^${T}/checkpoints/[^/]+/diff$`), R.ApiDiff],
  ["GET", new RegExp(`^${T}/forks$`), R.ApiForkList],
  ["GET", /^\/api\/me$/, R.ApiMe],
  ["GET", /^\/api\/setup$/, R.ApiSetupStatus],
  ["POST", /^\/api\/setup$/, R.ApiSetupClaim],
  ["GET", /^\/api\/users$/, R.ApiUserList],
  ["POST", /^\/api\/users$/, R.ApiUser],
  ["PATCH", /^\/api\/users\/[^/]+$/, R.ApiUser],
  ["GET", /^\/api\/tokens$/, R.ApiTokenList],
  ["POST", /^\/api\/tokens$/, R.ApiCreatedToken],
  ["DELETE", /^\/api\/tokens\/[^/]+$/, R.ApiToken],
  ["GET", /^\/api\/audit$/, R.ApiAuditPage],
  ["GET", /^\/api\/health$/, R.ApiHealth],
  ["GET", /^\/api\/schedules$/, R.ApiScheduleList],
  ["POST", /^\/api\/schedules$/, R.ApiSchedule],
  ["GET", /^\/api\/schedules\/[^/]+$/, R.ApiSchedule],
  ["PATCH", /^\/api\/schedules\/[^/]+$/, R.ApiSchedule],
  ["DELETE", /^\/api\/schedules\/[^/]+$/, R.ApiScheduleDeleted],
  ["POST", /^\/api\/schedules\/[^/]+\/run$/, R.ApiScheduleFire],
];

/** The schema an answer must match, or null when the route is outside the contract (or the answer is not JSON). */
export function schemaFor(method: string, url: string, status: number, contentType: string | null): z.ZodType | null {
  const path = new URL(url, "http://x").pathname;
  if (!path.startsWith("/api/") || path.startsWith("/api/auth/") || path.startsWith("/api/langgraph/")) return null;
  if (!contentType?.includes("application/json")) return null;
  if (path === "/api/health" && method === "GET") return R.ApiHealth;
  if (status >= 400) return R.ApiErrorBody;
  const rule = RULES.find(([m, re]) => m === method && re.test(path));
  return rule ? rule[2] : null;
}

/** Throws, naming the route and what did not match, when `body` is not what the API declares for it. */
export function checkShape(method: string, url: string, status: number, contentType: string | null, body: unknown): void {
  const schema = schemaFor(method, url, status, contentType);
  if (!schema) return;
  const parsed = schema.safeParse(body);
  if (parsed.success) return;
  const where = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  throw new Error(`${method} ${new URL(url, "http://x").pathname} → ${status}: the answer does not match lib/api/responses.ts (${where})`);
}
