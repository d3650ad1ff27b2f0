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
  ApiQuorum as Quorum,
  ApiMe as Me,
  ApiUser as UserRecord,
  ApiToken as TokenRecord,
  ApiAuditEntry as AuditEntry,
  ThreadStatus,
} from "../api/responses";
export type { RunCommand } from "../api/requests";
export type { Role as RoleName, Action as ActionName } from "../auth/roles";

/** A graph as the dashboard draws it: the server's `ApiGraph` with its `structure` flattened (lib/client/api.ts). */
export type GraphDetail = Omit<ApiGraph, "structure"> & ApiGraph["structure"];

/** One change of a diff, its `type` in the words the diff view shows. */
export type DiffEntry = Omit<ApiDiff["changes"][number], "type"> & { kind: "added" | "removed" | "changed" };
