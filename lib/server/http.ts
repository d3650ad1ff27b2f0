import "server-only";
import { NextResponse } from "next/server";
import type { z } from "zod";
import { isWaypointError, type ErrorCode } from "../errors";
import { jsonBodyProblem } from "./json-limits";
import { settings } from "./config";
import { metrics } from "./metrics";
import type { ApiErrorBody } from "../api/responses";
import { errFields, log } from "./log";

/**
 * The one place errors become HTTP responses, plus body reading with a size limit.
 * Every error response is `{ error: { code, message } }`. Unknown errors are logged and answered 500
 * without internals; every known input problem maps to a 4xx (an input must never produce a 500).
 */
export type HttpCode = "INVALID_JSON" | "INVALID_BODY" | "INVALID_QUERY" | "PAYLOAD_TOO_LARGE" | "NOT_FOUND" | "METHOD_NOT_ALLOWED" | "INTERNAL";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpCode | ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  CHECKPOINT_NOT_FOUND: 404,
  THREAD_NOT_FOUND: 404,
  INVALID_ID: 400,
  INVALID_ARGUMENT: 400,
  INVALID_UPDATE: 422,
  INVALID_STATE: 422,
  UNKNOWN_NODE: 422,
  RECURSION_LIMIT: 422,
  THREAD_BUSY: 409,
  NO_PENDING_INTERRUPT: 409,
  NODE_FAILED: 409,
  STORE_CONFIG: 503,
  STORE_UNAVAILABLE: 503,
  ENCRYPTION_KEY: 503,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CROSS_SITE: 403,
  UNSUPPORTED_MEDIA_TYPE: 415,
  STALE_CHECKPOINT: 409,
  ALREADY_APPROVED: 409,
  CONFLICT: 409,
  GRAPH_NOT_FOUND: 404,
  THREAD_EXISTS: 409,
  NO_ACTIVE_RUN: 409,
  DECISION_REQUIRED: 409,
  INVALID_RESUME: 400,
  SCHEDULE_NOT_FOUND: 404,
};

/** Details safe and useful to show a client, by code (the rest stay in the server log). */
const PUBLIC_DETAILS: Partial<Record<ErrorCode, (keyof ErrorDetails)[]>> = {
  STALE_CHECKPOINT: ["expectedCheckpointId", "headCheckpointId"],
  FORBIDDEN: ["action", "role", "requiredRole"],
  DECISION_REQUIRED: ["node", "checkpointId"],
  INVALID_RESUME: ["node", "issues"],
};

/**
 * Duck-typed like isWaypointError: Next bundles the start-up hook and each route separately, so an error
 * class from one bundle is not `instanceof` the same class in another.
 */
type ErrorDetails = Omit<ApiErrorBody["error"], "code" | "message">;

function isHttpError(err: unknown): err is HttpError {
  return typeof err === "object" && err !== null && (err as Error).name === "HttpError" && typeof (err as HttpError).status === "number";
}

export function errorResponse(err: unknown): NextResponse {
  if (isHttpError(err)) return body(err.status, err.code, err.message);
  if (isWaypointError(err)) {
    metrics().refusal(err.code);
    const status = STATUS[err.code];
    const keys = PUBLIC_DETAILS[err.code] ?? [];
    const extra: ErrorDetails = Object.fromEntries(keys.filter((k) => err.details[k] !== undefined).map((k) => [k, err.details[k]]));
    if (status) {
      const res = body(status, err.code, err.message, extra);
      if (status === 401) res.headers.set("WWW-Authenticate", 'Bearer realm="waypoint"');
      return res;
    }
  }
  log().error(errFields(err), "unexpected error");
  return body(500, "INTERNAL", "Internal error; see the server log.");
}

function body(status: number, code: string, message: string, extra: ErrorDetails = {}): NextResponse {
  const answer: ApiErrorBody = { error: { code, message, ...extra } };
  return NextResponse.json(answer, { status, headers: { "cache-control": "no-store" } });
}

export const json = (data: unknown, status = 200) => NextResponse.json(data, { status, headers: { "cache-control": "no-store" } });

/** Wraps a route handler so every thrown error goes through `errorResponse`. */
export function handle<A extends unknown[]>(fn: (...args: A) => Promise<Response>): (...args: A) => Promise<Response> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

export const MAX_BODY_BYTES = settings().maxBodyBytes;

const tooLarge = () => new HttpError(413, "PAYLOAD_TOO_LARGE", `The request body is larger than ${MAX_BODY_BYTES} bytes.`);

/** Reads the body as text, stopping as soon as it passes the limit (the Content-Length header can lie or be absent). */
async function readText(req: Request): Promise<string> {
  const declared = Number(req.headers.get("content-length"));
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The first zod issue as one readable sentence: `field.path: message`. */
export function zodMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "Invalid value.";
  const where = issue.path.length ? issue.path.map(String).join(".") : "body";
  return `${where}: ${issue.message}`;
}

/** Parses a JSON body (empty body = `{}`) and validates it; 400 / 413 on failure, before anything changes. */
export async function readBody<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
  const text = await readText(req);
  let data: unknown = {};
  if (text.trim() !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      throw new HttpError(400, "INVALID_JSON", "The request body is not valid JSON.");
    }
    const problem = jsonBodyProblem(data);
    if (problem) throw new HttpError(400, "INVALID_BODY", problem);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new HttpError(400, "INVALID_BODY", zodMessage(parsed.error));
  return parsed.data;
}

/**
 * Validates the query string with a zod schema (values are strings; use z.coerce). Empty values count as
 * absent (`?status=` means "any status"); unknown parameters are ignored (cache busters and the like).
 */
export function readQuery<T>(req: Request, schema: z.ZodType<T>): T {
  const params = Object.fromEntries([...new URL(req.url).searchParams].filter(([, v]) => v !== ""));
  const problem = jsonBodyProblem(params);
  if (problem) throw new HttpError(400, "INVALID_QUERY", problem);
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new HttpError(400, "INVALID_QUERY", zodMessage(parsed.error));
  return parsed.data;
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
type Method = (typeof METHODS)[number];

/**
 * Handlers for the methods a route does not serve, so they get the API's JSON error (405 with `Allow`)
 * instead of Next's empty 405: `export const { PUT, PATCH, DELETE } = otherMethods("GET", "POST");`.
 */
export function otherMethods(...allowed: Method[]): Record<Method, (req: Request) => Promise<NextResponse>> {
  const allow = allowed.join(", ");
  const handler = async (req: Request) => {
    const res = errorResponse(
      new HttpError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${new URL(req.url).pathname}; use ${allow}.`),
    );
    res.headers.set("Allow", allow);
    return res;
  };
  return Object.fromEntries(METHODS.map((m) => [m, handler])) as Record<Method, typeof handler>;
}
