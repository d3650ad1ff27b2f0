/**
 * The dashboard's only way to talk to the server. Every non-2xx answer becomes an ApiError carrying the
 * API's `{ error: { code, message } }` so forms can show the server's own message.
 */
import type {
  ApiAuditPage,
  ApiCancelResult,
  ApiCheckpoint,
  ApiCheckpointResult,
  ApiCreatedToken,
  ApiDeleted,
  ApiDiff,
  ApiForkList,
  ApiGraph,
  ApiGraphList,
  ApiHistoryPage,
  ApiMe,
  ApiRunResult,
  ApiSchedule,
  ApiScheduleDeleted,
  ApiScheduleFire,
  ApiScheduleList,
  ApiSetupStatus,
  ApiThread,
  ApiThreadCounts,
  ApiThreadPage,
  ApiThreadStorage,
  ApiToken,
  ApiTokenList,
  ApiUser,
  ApiUserList,
} from "../api/responses";
import type {
  CreateThreadBody,
  EditStateBody,
  ForkBody,
  CancelRunBody,
  RunBody,
  CreateUserBody,
  UpdateUserBody,
  CreateTokenBody,
  AuditQuery,
  SetupBody,
  CreateScheduleBody,
  UpdateScheduleBody,
} from "../api/requests";
import type { Diff, DiffEntry, GraphDetail, ThreadStatus } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

async function request<T>(path: string, init?: RequestInit & { json?: unknown }): Promise<T> {
  const { json, ...rest } = init ?? {};
  let res: Response;
  try {
    res = await fetch(path, {
      ...rest,
      headers: { accept: "application/json", ...(json !== undefined ? { "content-type": "application/json" } : {}), ...rest.headers },
      body: json !== undefined ? JSON.stringify(json) : rest.body,
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, "NETWORK", `Cannot reach the server: ${(err as Error).message}`);
  }
  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (res.status === 401 && typeof window !== "undefined" && !["/signin", "/setup"].includes(window.location.pathname)) {
    // Signed out (expired, disabled, or never signed in): go to the sign-in page and come back here after.
    // eslint-disable-next-line @next/next/no-location-assign-relative-destination -- a full page load on purpose: nothing cached for the previous identity survives
    window.location.assign(`/signin?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  }
  if (!res.ok) {
    // The API's errors are `{ error: { code, message } }`; Better Auth's (sign-in) are `{ code, message }`.
    const b = body as { error?: { code?: string; message?: string; details?: unknown }; code?: string; message?: string } | undefined;
    const e = b?.error ?? (typeof b?.message === "string" ? { code: b.code, message: b.message } : undefined);
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `${res.status} ${res.statusText}`, e?.details ?? e);
  }
  return body as T;
}

const enc = encodeURIComponent;

function qs(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The server nests a graph's drawable structure under `structure`; the dashboard reads it flat. */
function flatGraph(g: ApiGraph): GraphDetail {
  const { structure, ...rest } = g;
  return {
    ...rest,
    nodes: structure.nodes,
    edges: structure.edges,
    channels: structure.channels,
    interruptBefore: structure.interruptBefore,
    interruptAfter: structure.interruptAfter,
  };
}

const KIND: Record<ApiDiff["changes"][number]["type"], DiffEntry["kind"]> = {
  create: "added",
  remove: "removed",
  change: "changed",
  append: "appended",
  truncate: "truncated",
};

export const api = {
  graphs: async () => (await request<ApiGraphList>("/api/graphs")).graphs.map(flatGraph),
  graph: async (graphId: string) => flatGraph(await request<ApiGraph>(`/api/graphs/${enc(graphId)}`)),
  threads: (p: {
    status?: ThreadStatus | "";
    graphId?: string;
    query?: string;
    sort?: "updated" | "waiting";
    limit?: number;
    cursor?: string | null;
  }) => request<ApiThreadPage>(`/api/threads${qs(p)}`),
  threadCounts: (p: { graphId?: string; status?: ThreadStatus | ""; query?: string }) => request<ApiThreadCounts>(`/api/thread-counts${qs(p)}`),
  thread: (threadId: string) => request<ApiThread>(`/api/threads/${enc(threadId)}`),
  createThread: (body: CreateThreadBody) => request<ApiThread>("/api/threads", { method: "POST", json: body }),
  deleteThread: (threadId: string) => request<ApiDeleted>(`/api/threads/${enc(threadId)}`, { method: "DELETE" }),
  run: (threadId: string, body: RunBody) => request<ApiRunResult>(`/api/threads/${enc(threadId)}/runs`, { method: "POST", json: body }),
  cancelRun: (threadId: string, body: CancelRunBody = {}) =>
    request<ApiCancelResult>(`/api/threads/${enc(threadId)}/runs/cancel`, { method: "POST", json: body }),
  updateState: async (threadId: string, body: EditStateBody) =>
    (await request<ApiCheckpointResult>(`/api/threads/${enc(threadId)}/state`, { method: "POST", json: body })).checkpoint,
  fork: async (threadId: string, body: ForkBody) =>
    (await request<ApiCheckpointResult>(`/api/threads/${enc(threadId)}/fork`, { method: "POST", json: body })).checkpoint,
  history: (threadId: string, p: { limit?: number; before?: number | string | null; fields?: "summary" }) =>
    request<ApiHistoryPage>(`/api/threads/${enc(threadId)}/history${qs(p)}`),
  checkpoint: (threadId: string, checkpointId: string) => request<ApiCheckpoint>(`/api/threads/${enc(threadId)}/checkpoints/${enc(checkpointId)}`),
  storage: (threadId: string) => request<ApiThreadStorage>(`/api/threads/${enc(threadId)}/storage`),
  diff: async (threadId: string, checkpointId: string, against?: string): Promise<Diff> => {
    const { changes, ...rest } = await request<ApiDiff>(`/api/threads/${enc(threadId)}/checkpoints/${enc(checkpointId)}/diff${qs({ against })}`);
    return { ...rest, entries: changes.map(({ type, ...c }) => ({ ...c, kind: KIND[type] })) };
  },
  forks: (threadId: string) => request<ApiForkList>(`/api/threads/${enc(threadId)}/forks`),
};

export const accountsApi = {
  me: () => request<ApiMe>("/api/me"),
  setup: () => request<ApiSetupStatus>("/api/setup"),
  claimSetup: (body: SetupBody) => request<unknown>("/api/setup", { method: "POST", json: body }),
  signIn: (body: { email: string; password: string }) =>
    request<unknown>("/api/auth/sign-in/email", { method: "POST", json: { ...body, rememberMe: true } }),
  signInSso: (callbackURL: string) =>
    request<{ url: string }>("/api/auth/sign-in/oauth2", {
      method: "POST",
      json: { providerId: "oidc", callbackURL, errorCallbackURL: "/signin?error=sso" },
    }),
  signOut: () => request<unknown>("/api/auth/sign-out", { method: "POST", json: {} }),
  changePassword: (body: { currentPassword: string; newPassword: string }) =>
    request<unknown>("/api/auth/change-password", { method: "POST", json: { ...body, revokeOtherSessions: true } }),
  users: () => request<ApiUserList>("/api/users"),
  createUser: (body: CreateUserBody) => request<ApiUser>("/api/users", { method: "POST", json: body }),
  updateUser: (userId: string, body: UpdateUserBody) => request<ApiUser>(`/api/users/${enc(userId)}`, { method: "PATCH", json: body }),
  tokens: (all = false) => request<ApiTokenList>(`/api/tokens${all ? "?all=1" : ""}`),
  createToken: (body: CreateTokenBody) => request<ApiCreatedToken>("/api/tokens", { method: "POST", json: body }),
  revokeToken: (tokenId: string) => request<ApiToken>(`/api/tokens/${enc(tokenId)}`, { method: "DELETE" }),
  audit: (p: Omit<AuditQuery, "cursor"> & { cursor?: string | null }) => request<ApiAuditPage>(`/api/audit${qs(p)}`),
  auditExportUrl: (p: { actorId?: string; threadId?: string; action?: string; from?: string; to?: string }) => `/api/audit/export${qs(p)}`,
};

export const schedulesApi = {
  list: () => request<ApiScheduleList>("/api/schedules"),
  create: (body: CreateScheduleBody) => request<ApiSchedule>("/api/schedules", { method: "POST", json: body }),
  update: (scheduleId: string, body: UpdateScheduleBody) =>
    request<ApiSchedule>(`/api/schedules/${enc(scheduleId)}`, { method: "PATCH", json: body }),
  remove: (scheduleId: string) => request<ApiScheduleDeleted>(`/api/schedules/${enc(scheduleId)}`, { method: "DELETE" }),
  runNow: (scheduleId: string) => request<ApiScheduleFire>(`/api/schedules/${enc(scheduleId)}/run`, { method: "POST" }),
};

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.code && !err.code.startsWith("HTTP_") ? `${err.message} (${err.code})` : err.message;
  return err instanceof Error ? err.message : String(err);
}
