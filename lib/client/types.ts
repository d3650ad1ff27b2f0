/**
 * The HTTP API's shapes under the names the dashboard uses. Every one is the server's own response type
 * (lib/api/responses.ts, zod) or derived from it: the dashboard declares no shape of its own.
 */
import type { ApiDiff, ApiGraph } from "../api/responses";

export { THREAD_STATUSES } from "../api/responses";
export type {
  ApiCheckpoint as Checkpoint,
  ApiCheckpointMeta as CheckpointMeta,
  ApiInterrupt as PendingInterrupt,
  ApiThread as Thread,
  ApiThreadStorage as ThreadStorage,
  ApiWrite as ChannelWrite,
  ApiFailedAttempt as FailedAttempt,
  ApiForkList as ForkList,
  ApiQuorum as Quorum,
  ApiMe as Me,
  ApiUser as UserRecord,
  ApiToken as TokenRecord,
  ApiAuditEntry as AuditEntry,
  ApiSchedule as Schedule,
  ThreadStatus,
} from "../api/responses";
export type { RunCommand } from "../api/requests";
export type { Role as RoleName, Action as ActionName } from "../auth/roles";

/** A graph as the dashboard draws it: the server's `ApiGraph` with its `structure` flattened (lib/client/api.ts). */
export type GraphDetail = Omit<ApiGraph, "structure"> & ApiGraph["structure"];

/** One change of a diff, its `type` in the words the diff view shows. */
/** One diff entry as the dashboard shows it; "appended" / "truncated" summarise a long array tail (`count` items from `from`). */
export type DiffEntry = Omit<ApiDiff["changes"][number], "type"> & { kind: "added" | "removed" | "changed" | "appended" | "truncated" };

/** A diff with what it was taken against (see ApiDiff's `basis`). */
export type Diff = Omit<ApiDiff, "changes"> & { entries: DiffEntry[] };
