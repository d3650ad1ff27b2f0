import "server-only";
import { z } from "zod";
import { readBody, readQuery } from "../http";
import { assistantGraph, assistantSchemas, AssistantSearch, resolveAssistant, searchAssistants } from "./assistants";
import { lgError, lgJson, matcher, type LgHandler, type LgOpenHandler } from "./http";
import { lgAssistant } from "./mapping";
import { deleteRun, getRun, listRuns } from "./records";
import { cancelRun, channelOf, RunBody, runOutput, startLgRun, streamModes, waitForRun } from "./runs";
import { endedStream, runStream, threadStream } from "./sse";
import {
  copyThread,
  countThreads,
  createLgThread,
  CreateThread,
  deleteLgThread,
  HistoryBody,
  lgHistory,
  lgStateOf,
  patchLgThread,
  readableThread,
  searchThreads,
  SearchThreads,
  threadOut,
  UpdateState,
  updateLgState,
} from "./threads";
import { errFields, log } from "../log";

/**
 * The LangGraph server protocol's endpoints (the ones `@langchain/langgraph-sdk`'s Client, `useStream` and
 * agent-chat-ui call), each a few lines over the services in this folder. Mounted under /api/langgraph by
 * app/api/langgraph/[...path]/route.ts. Bodies are snake_case; unknown fields are ignored (zod strips them).
 */
const runPath = (threadId: string, runId: string) => `/threads/${threadId}/runs/${runId}`;
const noContent = () => new Response(null, { status: 204 });
const Modes = z.object({ stream_mode: z.union([z.string(), z.array(z.string())]).optional() });
const modesOf = (req: Request) => {
  const all = new URL(req.url).searchParams.getAll("stream_mode");
  return all.length ? all : ["values"];
};
const lastEventId = (req: Request) => {
  const v = Number(req.headers.get("last-event-id"));
  return Number.isInteger(v) && v >= 0 && req.headers.has("last-event-id") ? v : null;
};
const Paging = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(10),
  offset: z.coerce.number().int().min(0).default(0),
  status: z.string().optional(),
});

const info: LgOpenHandler = async () =>
  lgJson({
    version: "waypoint",
    langgraph_js_version: null,
    flags: { assistants: true, crons: false, langsmith: false, store: false },
    host: { kind: "waypoint" },
  });

const routes: [string, LgHandler][] = [
  // ---- assistants (one per graph) ----
  [
    "POST /assistants/search",
    async (rt, req, _p, who) => {
      const { page, total } = searchAssistants(rt, who, await readBody(req, AssistantSearch));
      return lgJson(page, 200, { "X-Pagination-Total": String(total) });
    },
  ],
  ["POST /assistants/count", async (rt, req, _p, who) => lgJson(searchAssistants(rt, who, await readBody(req, AssistantSearch)).total)],
  ["GET /assistants/:id", async (rt, _req, p, who) => lgJson(lgAssistant(resolveAssistant(rt, who, p.id)))],
  ["GET /assistants/:id/graph", async (rt, _req, p, who) => lgJson(assistantGraph(rt, resolveAssistant(rt, who, p.id)))],
  ["GET /assistants/:id/schemas", async (rt, _req, p, who) => lgJson(assistantSchemas(rt, resolveAssistant(rt, who, p.id)))],
  ["GET /assistants/:id/subgraphs", async (rt, _req, p, who) => (resolveAssistant(rt, who, p.id), lgJson({}))],

  // ---- threads ----
  ["POST /threads", async (rt, req, _p, who) => lgJson(await createLgThread(rt, who, await readBody(req, CreateThread)))],
  [
    "POST /threads/search",
    async (rt, req, _p, who) => {
      const { threads, total } = await searchThreads(rt, who, await readBody(req, SearchThreads));
      return lgJson(threads, 200, { "X-Pagination-Total": String(total) });
    },
  ],
  ["POST /threads/count", async (rt, req, _p, who) => lgJson(await countThreads(rt, who, await readBody(req, SearchThreads)))],
  ["GET /threads/:tid", async (rt, _req, p, who) => lgJson(await threadOut(rt, await readableThread(rt, who, p.tid)))],
  [
    "PATCH /threads/:tid",
    async (rt, req, p, who) => {
      const body = await readBody(req, z.object({ metadata: z.record(z.string(), z.unknown()).nullish() }));
      return lgJson(await patchLgThread(rt, who, p.tid, body.metadata));
    },
  ],
  ["DELETE /threads/:tid", async (rt, _req, p, who) => (await deleteLgThread(rt, who, p.tid), noContent())],
  ["POST /threads/:tid/copy", async (rt, _req, p, who) => lgJson(await copyThread(rt, who, p.tid))],

  // ---- state and history ----
  ["GET /threads/:tid/state", async (rt, _req, p, who) => lgJson(await lgStateOf(rt, who, p.tid))],
  ["GET /threads/:tid/state/:cid", async (rt, _req, p, who) => lgJson(await lgStateOf(rt, who, p.tid, p.cid))],
  [
    "POST /threads/:tid/state/checkpoint",
    async (rt, req, p, who) => {
      const body = await readBody(req, z.object({ checkpoint: z.object({ checkpoint_id: z.string().nullish() }) }));
      return lgJson(await lgStateOf(rt, who, p.tid, body.checkpoint.checkpoint_id));
    },
  ],
  ["POST /threads/:tid/state", async (rt, req, p, who) => lgJson(await updateLgStateRoute(rt, req, p, who))],
  ["POST /threads/:tid/history", async (rt, req, p, who) => lgJson(await lgHistory(rt, who, p.tid, await readBody(req, HistoryBody)))],
  [
    "GET /threads/:tid/history",
    async (rt, req, p, who) => {
      const q = readQuery(req, z.object({ limit: z.coerce.number().int().min(1).max(1000).optional(), before: z.string().optional() }));
      return lgJson(await lgHistory(rt, who, p.tid, q));
    },
  ],

  // ---- runs ----
  [
    "POST /threads/:tid/runs",
    async (rt, req, p, who) => {
      const { record } = await startLgRun(rt, who, p.tid, await readBody(req, RunBody));
      return lgJson(record, 200, { "Content-Location": runPath(p.tid, record.run_id) });
    },
  ],
  [
    "POST /threads/:tid/runs/wait",
    async (rt, req, p, who) => {
      const { record, done } = await startLgRun(rt, who, p.tid, await readBody(req, RunBody));
      await done;
      return lgJson(await runOutput(rt, who, p.tid), 200, { "Content-Location": runPath(p.tid, record.run_id) });
    },
  ],
  [
    "POST /threads/:tid/runs/stream",
    async (rt, req, p, who) => {
      const body = await readBody(req, RunBody);
      const { record, channel } = await startLgRun(rt, who, p.tid, body);
      const gone =
        body.on_disconnect === "cancel" ? () => void cancelRun(rt, who, p.tid, record.run_id, "interrupt", false).catch(() => {}) : undefined;
      return runStream(req, channel, streamModes(body), 0, gone, {
        "Content-Location": runPath(p.tid, record.run_id),
        // Where the SDK reconnects (relative to its apiUrl) when the connection drops mid-run.
        ...(body.stream_resumable ? { Location: `${runPath(p.tid, record.run_id)}/stream` } : {}),
      });
    },
  ],
  // ---- stateless runs: a thread of their own, deleted once the run ends unless on_completion is "keep" ----
  [
    "POST /runs",
    async (rt, req, _p, who) => {
      const { record } = await statelessRun(rt, req, who, async () => undefined);
      return lgJson(record, 200, { "Content-Location": runPath(record.thread_id, record.run_id) });
    },
  ],
  [
    "POST /runs/wait",
    async (rt, req, _p, who) => {
      let out: unknown;
      const { record, finished } = await statelessRun(rt, req, who, async (threadId) => void (out = await runOutput(rt, who, threadId)));
      await finished;
      return lgJson(out, 200, { "Content-Location": runPath(record.thread_id, record.run_id) });
    },
  ],
  [
    "POST /runs/stream",
    async (rt, req, _p, who) => {
      const { record, channel, body } = await statelessRun(rt, req, who, async () => undefined);
      return runStream(req, channel, streamModes(body), 0, undefined, { "Content-Location": runPath(record.thread_id, record.run_id) });
    },
  ],
  [
    "GET /threads/:tid/runs",
    async (rt, req, p, who) => {
      await readableThread(rt, who, p.tid);
      const q = readQuery(req, Paging);
      const list = (await listRuns(rt.store, p.tid)).filter((r) => !q.status || r.status === q.status);
      return lgJson(list.slice(q.offset, q.offset + q.limit));
    },
  ],
  ["GET /threads/:tid/runs/:rid", async (rt, _req, p, who) => lgJson(await runRecord(rt, who, p.tid, p.rid))],
  [
    "DELETE /threads/:tid/runs/:rid",
    async (rt, _req, p, who) => {
      const rec = await runRecord(rt, who, p.tid, p.rid);
      if (rec.status === "pending" || rec.status === "running") throw lgError(409, `Run "${p.rid}" is still active; cancel it first.`);
      await deleteRun(rt.store, p.tid, p.rid);
      return noContent();
    },
  ],
  [
    "GET /threads/:tid/runs/:rid/join",
    async (rt, req, p, who) => {
      await runRecord(rt, who, p.tid, p.rid);
      await waitForRun(rt, p.tid, p.rid, req.signal);
      return lgJson(await runOutput(rt, who, p.tid));
    },
  ],
  [
    "GET /threads/:tid/runs/:rid/stream",
    async (rt, req, p, who) => {
      const rec = await runRecord(rt, who, p.tid, p.rid);
      const channel = channelOf(p.rid);
      if (!channel) {
        // Not run here: wait for its record to end (another server runs it), then send its final values.
        const active = rec.status === "pending" || rec.status === "running";
        if (!active) return endedStream(req);
        return endedStream(req, async () => {
          await waitForRun(rt, p.tid, p.rid, req.signal);
          return modesOf(req).includes("values") ? [{ event: "values", data: (await lgStateOf(rt, who, p.tid)).values }] : [];
        });
      }
      // A resumable run replays from the client's Last-Event-ID (or from the start); others join live.
      const resumable = rec.kwargs.resumable === true;
      const after = resumable ? (lastEventId(req) ?? 0) : null;
      return runStream(req, channel, modesOf(req), after);
    },
  ],
  [
    "POST /threads/:tid/runs/:rid/cancel",
    async (rt, req, p, who) => {
      const q = readQuery(
        req,
        z.object({ wait: z.enum(["0", "1", "true", "false"]).optional(), action: z.enum(["interrupt", "rollback"]).optional() }),
      );
      await cancelRun(rt, who, p.tid, p.rid, q.action ?? "interrupt", q.wait === "1" || q.wait === "true");
      return new Response(null, { status: 202 });
    },
  ],
  [
    "GET /threads/:tid/stream",
    async (rt, req, p, who) => {
      await readableThread(rt, who, p.tid);
      return threadStream(req, p.tid, readQuery(req, Modes).stream_mode ? modesOf(req) : ["run_modes"]);
    },
  ],
];

const StatelessBody = RunBody.extend({ on_completion: z.enum(["delete", "keep"]).nullish() });

/** Starts a run on a new thread; `beforeDelete` reads what it needs once the run ended, then the thread goes. */
async function statelessRun(
  rt: Parameters<LgHandler>[0],
  req: Request,
  who: Parameters<LgHandler>[3],
  beforeDelete: (threadId: string) => Promise<void>,
) {
  const body = await readBody(req, StatelessBody);
  const def = resolveAssistant(rt, who, body.assistant_id);
  const t = await createLgThread(rt, who, { metadata: { graph_id: def.id } });
  const started = await startLgRun(rt, who, t.thread_id, body);
  const finished = started.done.then(async () => {
    await beforeDelete(t.thread_id);
    if (body.on_completion !== "keep")
      await deleteLgThread(rt, who, t.thread_id).catch((err) =>
        log().error({ threadId: t.thread_id, ...errFields(err) }, "deleting a stateless thread failed"),
      );
  });
  return { ...started, body, finished };
}

async function runRecord(rt: Parameters<LgHandler>[0], who: Parameters<LgHandler>[3], threadId: string, runId: string) {
  await readableThread(rt, who, threadId);
  const rec = await getRun(rt.store, threadId, runId);
  if (!rec) throw lgError(404, `Run "${runId}" was not found on thread "${threadId}".`);
  return rec;
}

const updateLgStateRoute = async (...[rt, req, p, who]: Parameters<LgHandler>) => updateLgState(rt, who, p.tid, await readBody(req, UpdateState));

const table = matcher<{ fn: LgHandler | LgOpenHandler; open?: boolean }>([
  ["GET /info", { fn: info, open: true }],
  ...routes.map(([spec, fn]) => [spec, { fn }] as [string, { fn: LgHandler }]),
]);

export function resolve(method: string, segments: string[]) {
  const hit = table(method, segments);
  return hit ? { ...hit.value, params: hit.params } : null;
}
