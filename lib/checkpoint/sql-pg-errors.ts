/**
 * Recognising "the PostgreSQL server cannot be reached" among pg / Prisma errors, and describing it in one
 * sentence without secrets or stack traces (the message reaches logs and the dashboard).
 */

const NET_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EPIPE"]);
// SQLSTATE classes/codes meaning "no usable session": connection exceptions, bad credentials, unknown
// database, server shutting down or refusing connections.
const PG_CODES = /^(08...|28...|3D000|57P0[123]|53300)$/;
const NET_MESSAGES =
  /Connection terminated|connection timeout|timeout expired|Can't reach database server|Client has encountered a connection error/i;

type ErrLike = { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };

/** The innermost-first chain of an error: itself, AggregateError members, causes (bounded). */
function chain(e: unknown): ErrLike[] {
  const out: ErrLike[] = [];
  const todo = [e];
  while (todo.length > 0 && out.length < 10) {
    const x = todo.shift();
    if (typeof x !== "object" || x === null) continue;
    const err = x as ErrLike;
    out.push(err);
    if (Array.isArray(err.errors)) todo.push(...err.errors);
    if (err.cause) todo.push(err.cause);
  }
  return out;
}

export function isPgConnectionError(e: unknown): boolean {
  if ((e as { name?: unknown })?.name === "WaypointError") return false;
  return chain(e).some(
    (x) =>
      (typeof x.code === "string" && (NET_CODES.has(x.code) || PG_CODES.test(x.code))) ||
      (typeof x.message === "string" && NET_MESSAGES.test(x.message)),
  );
}

/** A short reason: the first non-empty message in the chain (AggregateErrors have an empty one), one line. */
export function pgReason(e: unknown): string {
  for (const x of chain(e)) {
    const msg = typeof x.message === "string" ? x.message.trim() : "";
    if (msg) return msg.split("\n")[0].replace(/\.$/, "");
    if (typeof x.code === "string" && x.code) return x.code;
  }
  return "unknown error";
}

/** The URL with any password hidden, for messages. */
export function describePgUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}
