import "server-only";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

/**
 * The server's structured log (pino). One JSON object per line when stdout is not a terminal (what a log
 * collector reads), coloured one-line-per-event text in a terminal; WAYPOINT_LOG_FORMAT=json|pretty overrides
 * the guess, WAYPOINT_LOG_LEVEL (or LOG_LEVEL) sets the level (default "info"; "debug" adds every step).
 *
 * Invariant: every line written while a run is going carries its `runId`, `threadId` and `graph`, and step lines
 * their `node` (see `attachRunLog` in run-log.ts), so `jq 'select(.threadId=="…")'` tells one thread's story.
 * Kept on globalThis like the runtime, so Next's dev reloads do not open a second destination.
 */
const KEY = Symbol.for("waypoint.log");
type Holder = { [KEY]?: Logger };

const LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

export function createLogger(env: Record<string, string | undefined> = process.env, out: NodeJS.WritableStream = process.stdout): Logger {
  const wanted = (env.WAYPOINT_LOG_LEVEL ?? env.LOG_LEVEL ?? "info").trim().toLowerCase();
  const level = LEVELS.has(wanted) ? wanted : "info";
  const format = env.WAYPOINT_LOG_FORMAT?.trim().toLowerCase();
  const human = format === "pretty" || (format !== "json" && (out as { isTTY?: boolean }).isTTY === true);
  const options = { level, base: { service: "waypoint" }, timestamp: pino.stdTimeFunctions.isoTime };
  // pino-pretty as a synchronous stream in this thread: pino's worker-thread transports do not survive Next's
  // server bundling, and a terminal is a developer's, where speed does not matter.
  if (human) return pino(options, pretty({ destination: out, sync: true, ignore: "pid,hostname,service", translateTime: "SYS:HH:MM:ss.l" }));
  return pino(options, out === process.stdout ? pino.destination({ dest: 1, sync: false }) : out);
}

/** The process's logger. */
export function log(): Logger {
  const holder = globalThis as unknown as Holder;
  return (holder[KEY] ??= createLogger());
}

/** An error as log fields: the message and code for domain errors, pino's serialiser (with stack) for others. */
export function errFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" ? { err: { message: err.message, code } } : { err };
  }
  return { err: { message: String(err) } };
}
