/**
 * Bounded waits on a store. A store that stops answering (a dropped network, a stuck server) must never hang
 * a caller: each driver gets a connect and a command / query timeout (WAYPOINT_STORE_TIMEOUT_MS, default
 * 5 s), and `withDeadline` wraps every store call as a backstop, so any call settles within about that time
 * with STORE_UNAVAILABLE and a one-sentence message naming the store.
 */
import { WaypointError, isWaypointError } from "../errors";
import type { CheckpointStore } from "./types";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";

export const DEFAULT_STORE_TIMEOUT_MS = 5_000;

/** WAYPOINT_STORE_TIMEOUT_MS: the connect and per-command timeout of the PostgreSQL and Redis drivers. */
export function storeTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.WAYPOINT_STORE_TIMEOUT_MS);
  return Number.isFinite(n) && n >= 50 ? Math.floor(n) : DEFAULT_STORE_TIMEOUT_MS;
}

const REASONS: [RegExp, string][] = [
  [/ECONNREFUSED|connection refused/i, "connection refused"],
  [/ETIMEDOUT|timed? ?out|timeout/i, "no answer within the timeout"],
  [/ECONNRESET|EPIPE|Connection terminated|socket hang up|Connection is closed|closed the connection|Stream isn't writeable/i, "connection lost"],
  [/ENOTFOUND|EAI_AGAIN|getaddrinfo/i, "host not found"],
  [/EHOSTUNREACH|ENETUNREACH/i, "host unreachable"],
  [/28P01|password authentication failed|28000/i, "authentication failed"],
  [/3D000|does not exist/i, "database does not exist"],
  [/57P0[123]|shutting down|starting up/i, "server shutting down or starting up"],
  [/53300|too many clients/i, "too many connections"],
];

/** Codes and messages along an error's cause chain (AggregateError members included), bounded. */
function texts(err: unknown): string[] {
  const out: string[] = [];
  const todo = [err];
  const seen = new Set<unknown>();
  while (todo.length > 0 && out.length < 20) {
    const e = todo.shift() as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown } | null;
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    if (typeof e.code === "string") out.push(e.code);
    if (typeof e.message === "string") out.push(e.message);
    todo.push(e.cause, ...(Array.isArray(e.errors) ? e.errors : []));
  }
  return out;
}

/** A short, driver-neutral reason for a connection failure ("connection refused", "no answer within…"). */
export function outageReason(err: unknown): string {
  const all = texts(err);
  for (const [re, reason] of REASONS) if (all.some((t) => re.test(t))) return reason;
  return "it did not answer";
}

/**
 * "PostgreSQL at 127.0.0.1:5432 from DATABASE_URL" — the store as a reader would name it, with the setting that
 * points at it, never credentials.
 */
export function storeLabel(kind: string, url?: string): string {
  const name =
    kind === "postgres" ? "PostgreSQL" : kind === "redis" ? "Redis" : kind === "sqlite" ? "SQLite" : kind === "file" ? "The file store" : kind;
  const variable = kind === "redis" ? "REDIS_URL" : kind === "postgres" || kind === "sqlite" ? "DATABASE_URL" : null;
  let where = "";
  try {
    const u = url ? new URL(url) : null;
    if (u?.hostname) where = ` at ${u.hostname}:${u.port || (kind === "redis" ? 6379 : 5432)}`;
  } catch {
    /* not a URL */
  }
  return `${name}${where}${variable ? ` from ${variable}` : ""}`;
}

/** The first network or SQLSTATE code in an error's cause chain (ECONNREFUSED, 3D000…), for the message. */
function codeOf(err: unknown): string | null {
  const todo = [err];
  const seen = new Set<unknown>();
  while (todo.length > 0 && seen.size < 20) {
    const e = todo.shift() as { code?: unknown; cause?: unknown; errors?: unknown } | null;
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    if (typeof e.code === "string" && /^(E[A-Z]{3,}|[0-9A-Z]{5})$/.test(e.code)) return e.code;
    todo.push(e.cause, ...(Array.isArray(e.errors) ? e.errors : []));
  }
  return null;
}

/** The one-sentence STORE_UNAVAILABLE error for a store that could not be reached. */
export function unavailable(label: string, err: unknown, timeoutMs?: number): WaypointError {
  const reason = outageReason(err);
  const detail = reason === "no answer within the timeout" && timeoutMs ? `no answer within ${timeoutMs} ms` : reason;
  const code = codeOf(err);
  return new WaypointError("STORE_UNAVAILABLE", `${label} is unreachable: ${detail}${code ? ` (${code})` : ""}.`, { reason: detail }, { cause: err });
}

/** `p`, or a STORE_UNAVAILABLE rejection once `ms` pass (the late result, if any, is ignored). */
export function withDeadline<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable(label, new Error("timed out"), ms)), ms);
    timer.unref?.();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

const STORE_METHODS = [
  "save",
  "importCheckpoint",
  "load",
  "list",
  "listSummaries",
  "latest",
  "putWrites",
  "delete",
  "clear",
  "prune",
  "getThread",
  "storage",
  "updateThread",
  "listThreads",
  "acquireLock",
  "stealLock",
  "releaseLock",
  "setup",
] as const;

export interface GuardOptions {
  /** Every call settles within this many ms (use the driver timeout plus a margin). */
  deadlineMs: number;
  label: string;
  /** Called with every STORE_UNAVAILABLE a call rejects with, and with every success (to track outages). */
  onUnavailable?: (err: WaypointError) => void;
  onAnswer?: () => void;
  /** Called once per settled call with its method, duration and error (null on success): metrics hang here. */
  onCall?: (method: string, ms: number, err: unknown) => void;
}

/**
 * The store with every contract method bounded by `deadlineMs` and observed: STORE_UNAVAILABLE rejections
 * (the driver's or the deadline's) go to `onUnavailable`, other settlements to `onAnswer`. Other members
 * (kind, close, getPrisma…) pass through.
 */
const tracer = trace.getTracer("waypoint");

export function guardStore<S extends CheckpointStore>(store: S, opts: GuardOptions): S {
  const wrapped = new Map<PropertyKey, unknown>();
  for (const name of STORE_METHODS) {
    const fn = (store as unknown as Record<string, unknown>)[name];
    if (typeof fn !== "function") continue;
    wrapped.set(name, (...args: unknown[]) => {
      const t0 = performance.now();
      // A client span per call, under whatever span is active (a run's step, an HTTP request); no-op untraced.
      const span = tracer.startSpan(`waypoint.store.${name}`, {
        kind: SpanKind.CLIENT,
        attributes: { "db.system.name": store.kind, "db.operation.name": name },
      });
      return withDeadline(
        Promise.resolve().then(() => (fn as (...a: unknown[]) => Promise<unknown>).apply(store, args)),
        opts.deadlineMs,
        opts.label,
      ).then(
        (v) => {
          span.end();
          opts.onCall?.(name, performance.now() - t0, null);
          opts.onAnswer?.();
          return v;
        },
        (e: unknown) => {
          span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
          if (isWaypointError(e)) span.setAttribute("error.type", e.code);
          span.end();
          opts.onCall?.(name, performance.now() - t0, e);
          if (isWaypointError(e, "STORE_UNAVAILABLE")) opts.onUnavailable?.(e);
          else opts.onAnswer?.();
          throw e;
        },
      );
    });
  }
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (wrapped.has(prop)) return wrapped.get(prop);
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
