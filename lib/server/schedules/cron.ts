import { CronExpressionParser } from "cron-parser";
import { WaypointError } from "../../errors";

/**
 * Cron expressions, read with cron-parser (the parser BullMQ and pg-boss use themselves, so what is accepted
 * here is what the queues accept): five fields (minute hour day month weekday), or six with seconds first.
 * Checked once when a schedule is saved; a bad expression or time zone is a 400 and nothing is saved.
 */
export function checkCron(cron: string, timezone: string): void {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
  } catch {
    throw new WaypointError("INVALID_ARGUMENT", `Unknown time zone "${timezone}" (use an IANA name such as "UTC" or "Europe/Paris").`);
  }
  const fields = cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6)
    throw new WaypointError(
      "INVALID_ARGUMENT",
      `Cron expression "${cron}" has ${fields} fields; use 5 (minute hour day month weekday) or 6 (seconds first).`,
    );
  try {
    CronExpressionParser.parse(cron, { tz: timezone, strict: false }).next();
  } catch (err) {
    throw new WaypointError("INVALID_ARGUMENT", `Cron expression "${cron}" is not valid: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Whether the expression has a seconds field (pg-boss fires at most once a minute). */
export function hasSeconds(cron: string): boolean {
  return cron.trim().split(/\s+/).length === 6;
}

/** The first fire strictly after `after`. */
export function nextFire(cron: string, timezone: string, after: Date = new Date()): Date {
  return CronExpressionParser.parse(cron, { tz: timezone, currentDate: after }).next().toDate();
}
