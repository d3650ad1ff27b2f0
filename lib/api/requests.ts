/**
 * Every request shape of the HTTP API, written once as a zod schema; its type is `z.infer` of it. Route handlers
 * validate with these, `lib/server` services take the inferred types, and the dashboard's client builds its
 * bodies from the same types. Plain zod: no server code, safe in the browser bundle.
 */
import { z } from "zod";
import { ROLES, TOKEN_SCOPES } from "../auth/roles";
import { THREAD_SORTS } from "../checkpoint/types";
import { ThreadStatus } from "./responses";

const JsonObject = z.record(z.string(), z.unknown());
const Id = z.string().min(1).max(200);
const NodeList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const GraphList = z.array(z.string().min(1).max(100)).max(100).nullable();
/** The head checkpoint the caller decided on: 409 STALE_CHECKPOINT when the thread has moved on since. */
const ExpectedCheckpoint = Id.optional();

// ---- threads and runs ----

export const CreateThreadBody = z
  .object({
    graphId: z.string().min(1).max(100),
    input: JsonObject.optional(),
    metadata: JsonObject.optional(),
  })
  .strict();
export type CreateThreadBody = z.infer<typeof CreateThreadBody>;

/** Free text over id, graph, status, error message and metadata (see ListThreadsOptions.query). */
const ThreadSearch = z.string().max(200).optional();

export const ListThreadsQuery = z
  .object({
    status: ThreadStatus.optional(),
    graphId: z.string().min(1).max(100).optional(),
    query: ThreadSearch,
    /** "waiting": interrupted threads only, the one waiting longest first. */
    sort: z.enum(THREAD_SORTS).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().min(1).max(1000).optional(),
  })
  .refine((q) => !(q.sort === "waiting" && q.status !== undefined && q.status !== "interrupted"), {
    message: 'sort "waiting" lists interrupted threads; it cannot be combined with another status',
  });
export type ListThreadsQuery = z.infer<typeof ListThreadsQuery>;

/** The waiting count always; `matching` counts the threads the list shows for the same status / graph / query. */
export const ThreadCountsQuery = z.object({
  graphId: z.string().min(1).max(100).optional(),
  status: ThreadStatus.optional(),
  query: ThreadSearch,
});
export type ThreadCountsQuery = z.infer<typeof ThreadCountsQuery>;

export const RunCommand = z.object({ resume: z.unknown().optional(), update: JsonObject.optional(), goto: NodeList.optional() }).strict();
export type RunCommand = z.infer<typeof RunCommand>;

export const RunBody = z
  .object({
    input: JsonObject.optional(),
    checkpointId: Id.optional(),
    command: RunCommand.optional(),
    wait: z.boolean().optional(),
    expectedCheckpointId: ExpectedCheckpoint,
    /** Why (shown in the timeline and the audit trail); defaults to the decision's comment or feedback. */
    reason: z.string().max(2000).optional(),
    /** What to do when the thread already runs: reject (409, the default), enqueue, interrupt or rollback (lib/server/multitask.ts). */
    multitaskStrategy: z.enum(["reject", "enqueue", "interrupt", "rollback"]).optional(),
  })
  .strict()
  .refine((b) => !(b.input && b.command), { message: "give either an input (a new run) or a command (to continue), not both" });
export type RunBody = z.infer<typeof RunBody>;

/** Stops the thread's active run; the reason goes to the audit trail. */
export const CancelRunBody = z.object({ reason: z.string().max(2000).optional() }).strict();
export type CancelRunBody = z.infer<typeof CancelRunBody>;

export const StateQuery = z.object({ checkpointId: Id.optional() });

export const EditStateBody = z
  .object({
    values: JsonObject,
    asNode: z.string().min(1).max(100).optional(),
    checkpointId: Id.optional(),
    reason: z.string().max(2000).optional(),
    expectedCheckpointId: ExpectedCheckpoint,
    /** Send the edit back for review: the nodes waiting for a decision run again at once and ask with the edited state (needs "decide" too). */
    reask: z.boolean().optional(),
  })
  .strict();
export type EditStateBody = z.infer<typeof EditStateBody>;

export const ForkBody = z
  .object({
    checkpointId: Id,
    values: JsonObject.optional(),
    asNode: z.string().min(1).max(100).optional(),
    /** true: copy into a new thread with a generated id; a string: that id; absent/false: a branch in place. */
    newThread: z.union([z.boolean(), z.string().min(1).max(128)]).optional(),
    reason: z.string().max(2000).optional(),
    /**
     * Run the fork at once, in the same request: either the fork is made and its run started, or nothing is
     * left. Refused (409 DECISION_REQUIRED) at a checkpoint waiting for a decision: decide on the fork instead.
     */
    run: z.boolean().optional(),
  })
  .strict();
export type ForkBody = z.infer<typeof ForkBody>;

export const HistoryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  before: Id.optional(),
  checkpointId: Id.optional(),
  /** `summary`: without state values, for long timelines. */
  fields: z.enum(["full", "summary"]).default("full"),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const DiffQuery = z.object({ against: Id.optional() });

// ---- accounts ----

export const CreateUserBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    email: z.email().max(320),
    password: z.string().min(8).max(256),
    role: z.enum(ROLES),
    graphs: GraphList.optional(),
  })
  .strict();
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const UpdateUserBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    role: z.enum(ROLES).optional(),
    graphs: GraphList.optional(),
    disabled: z.boolean().optional(),
    password: z.string().min(8).max(256).optional(),
  })
  .strict();
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

export const CreateTokenBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: z.enum(ROLES),
    graphs: GraphList.optional(),
    /** "metrics": the token may only read GET /api/metrics (a scraper's); default "all". */
    scope: z.enum(TOKEN_SCOPES).optional(),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
    /** Admins: the user the token acts for (default: the caller). */
    userId: z.string().min(1).max(100).optional(),
  })
  .strict();
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;

export const ListTokensQuery = z.object({ all: z.enum(["0", "1", "true", "false"]).optional() });

const When = z
  .string()
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: "expected an ISO date or time" });

export const AuditFilter = z.object({
  actorId: z.string().min(1).max(200).optional(),
  threadId: Id.optional(),
  action: z.string().min(1).max(50).optional(),
  from: When.optional(),
  to: When.optional(),
});
export type AuditFilter = z.infer<typeof AuditFilter>;

export const AuditQuery = AuditFilter.extend({
  cursor: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const SetupBody = z
  .object({
    token: z.string().min(10).max(200),
    name: z.string().trim().min(1).max(200),
    email: z.email().max(320),
    password: z.string().min(8).max(256),
  })
  .strict();
export type SetupBody = z.infer<typeof SetupBody>;

// ---- scheduled runs ----

/** Five cron fields (minute hour day month weekday) or six (seconds first); checked by the server's parser. */
const Cron = z.string().trim().min(1).max(200);
/** An IANA time zone name ("UTC", "Europe/Paris"). */
const TimeZone = z.string().trim().min(1).max(100);

export const CreateScheduleBody = z
  .object({
    graphId: z.string().min(1).max(100),
    cron: Cron,
    timezone: TimeZone.optional(),
    /** The run's input, checked against the graph's input schema as a run start is (422 when refused). */
    input: JsonObject.optional(),
    /** Run every fire on this thread; omitted: each fire starts a new thread. */
    threadId: Id.optional(),
    paused: z.boolean().optional(),
  })
  .strict();
export type CreateScheduleBody = z.infer<typeof CreateScheduleBody>;

export const UpdateScheduleBody = z
  .object({
    cron: Cron.optional(),
    timezone: TimeZone.optional(),
    input: JsonObject.optional(),
    /** null: back to a new thread per fire. */
    threadId: Id.nullable().optional(),
    paused: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "Give at least one of cron, timezone, input, threadId, paused." });
export type UpdateScheduleBody = z.infer<typeof UpdateScheduleBody>;
