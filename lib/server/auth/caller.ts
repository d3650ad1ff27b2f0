import "server-only";
import type { AuditLog, AuditInput, RequestInfo } from "./audit";
import { allows, authorize, type Principal } from "./principal";
import type { Action } from "../../auth/roles";

/**
 * The authenticated caller of one request, as services see it: who (for `actor` fields), what they may do, and
 * the audit trail with this request's IP and user agent filled in.
 */
export class Caller {
  constructor(
    readonly principal: Principal,
    readonly info: RequestInfo,
    private readonly log: AuditLog,
  ) {}

  /** The name recorded as `actor` on checkpoints this caller causes. */
  get actor(): string {
    return this.principal.name;
  }

  /** Metadata put on every checkpoint this caller causes. */
  get actorMeta(): { actor: string; actorId: string; tokenId?: string } {
    const p = this.principal;
    return { actor: p.name, actorId: p.actorId, ...(p.tokenId ? { tokenId: p.tokenId } : {}) };
  }

  can(action: Action, graphId?: string | null): boolean {
    return allows(this.principal, action, graphId);
  }

  authorize(action: Action, graphId?: string | null): void {
    authorize(this.principal, action, graphId);
  }

  audit(entry: AuditInput): Promise<string> {
    return this.log.record(this.principal, this.info, entry);
  }
}
