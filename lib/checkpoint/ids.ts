import { v7 as uuidv7 } from "uuid";
import { WaypointError } from "../errors";

/**
 * Ids become file names, Redis keys and SQL parameters, so every store validates them first.
 * Allowed: 1–128 characters of letters, digits, `_`, `-`, `.` and `:`, starting with a letter or digit,
 * with no `..`. This rejects path tricks (`../x`, `/`, `\`), empty ids and prototype keys (`__proto__`).
 */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function isSafeId(id: unknown): id is string {
  return typeof id === "string" && SAFE_ID.test(id) && !id.includes("..");
}

export function assertSafeId(id: unknown, what: "thread" | "checkpoint" | "owner" = "thread"): asserts id is string {
  if (!isSafeId(id)) {
    const shown = typeof id === "string" ? JSON.stringify(id.length > 60 ? id.slice(0, 60) + "…" : id) : String(id);
    throw new WaypointError(
      "INVALID_ID",
      `Invalid ${what} id ${shown}: use 1-128 letters, digits, "_", "-", "." or ":", starting with a letter or digit, without "..".`,
      { what },
    );
  }
}

/** A new time-sortable checkpoint id (UUIDv7). */
export const newCheckpointId = (): string => uuidv7();
