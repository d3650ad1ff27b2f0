import "server-only";
import { v7 as uuidv7 } from "uuid";
import type { AccountsDb } from "./db";
import type { ApiAuditEntry, AuditAction } from "../../api/responses";
import type { Principal } from "./principal";

/**
 * The audit trail: one append-only row per human action, in the accounts database (the migration adds
 * triggers that refuse UPDATE and DELETE on the table). Entries outlive their threads.
 *
 * Written right after the change succeeds and before the client is answered, so an answered action always has
 * its entry. It is not in the same transaction as the checkpoint (the store and the accounts database are
 * separate connections, and with Redis or files separate systems): a crash between the two can leave a change
 * without its entry, never an entry without its change. Refused attempts to sign in are recorded too.
 *
 * Ids are UUIDv7 (time-ordered), so `id` is the page cursor, newest first.
 */
/** What an entry records; the list is shared with the dashboard's Audit page filter. */
export type { AuditAction } from "../../api/responses";

export interface AuditInput {
  action: AuditAction;
  outcome?: "ok" | "failed" | "denied";
  threadId?: string | null;
  graphId?: string | null;
  checkpointBefore?: string | null;
  checkpointAfter?: string | null;
  reason?: string | null;
  detail?: unknown;
}

export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
}

export type AuditEntry = ApiAuditEntry;

export interface AuditQuery {
  actorId?: string;
  threadId?: string;
  action?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

export function requestInfo(req: Request): RequestInfo {
  const fwd = req.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return { ip: fwd || req.headers.get("x-real-ip") || null, userAgent: req.headers.get("user-agent")?.slice(0, 500) ?? null };
}

const MAX_DETAIL = 64 * 1024;

function detailText(detail: unknown): string | null {
  if (detail === undefined) return null;
  const text = JSON.stringify(detail);
  return text.length > MAX_DETAIL ? JSON.stringify({ truncated: true, preview: text.slice(0, MAX_DETAIL) }) : text;
}

type Actor = Pick<Principal, "actorId" | "name" | "kind">;

export class AuditLog {
  constructor(private readonly db: AccountsDb) {}

  async record(actor: Actor | { actorId: string | null; name: string; kind: string }, info: RequestInfo, e: AuditInput): Promise<string> {
    const id = uuidv7();
    await this.db.prisma.auditEntry.create({
      data: {
        id,
        at: new Date(),
        actorId: actor.actorId,
        actorName: actor.name,
        actorKind: actor.kind,
        action: e.action,
        outcome: e.outcome ?? "ok",
        threadId: e.threadId ?? null,
        graphId: e.graphId ?? null,
        checkpointBefore: e.checkpointBefore ?? null,
        checkpointAfter: e.checkpointAfter ?? null,
        reason: e.reason ?? null,
        detail: detailText(e.detail),
        ip: info.ip,
        userAgent: info.userAgent,
      },
    });
    return id;
  }

  async list(q: AuditQuery): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 1000);
    const rows = await this.db.prisma.auditEntry.findMany({
      where: {
        ...(q.actorId ? { actorId: q.actorId } : {}),
        ...(q.threadId ? { threadId: q.threadId } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.from || q.to ? { at: { ...(q.from ? { gte: new Date(q.from) } : {}), ...(q.to ? { lte: new Date(q.to) } : {}) } } : {}),
        ...(q.cursor ? { id: { lt: q.cursor } } : {}),
      },
      orderBy: { id: "desc" },
      take: limit + 1,
    });
    const page = rows.slice(0, limit).map(toEntry);
    return { entries: page, nextCursor: rows.length > limit ? page[page.length - 1].id : null };
  }

  /** Every matching entry, newest first, as JSON lines, read page by page. */
  async *exportLines(q: Omit<AuditQuery, "cursor" | "limit">): AsyncGenerator<string> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...q, cursor, limit: 1000 });
      for (const e of page.entries) yield JSON.stringify(e) + "\n";
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
}

function toEntry(r: Omit<AuditEntry, "at" | "detail"> & { at: Date; detail: string | null }): AuditEntry {
  let detail: unknown = null;
  try {
    detail = r.detail ? JSON.parse(r.detail) : null;
  } catch {
    detail = r.detail;
  }
  return { ...r, at: new Date(r.at).toISOString(), detail };
}
