import "server-only";
import { WaypointError, isWaypointError, staleCheckpoint } from "../errors";
import type { Checkpoint, ThreadInfo } from "../checkpoint/types";
import type { QuorumRule } from "../config/graph";
import type { ApiQuorum } from "../api/responses";
import type { Caller } from "./auth/caller";
import type { Runtime } from "./runtime";

/**
 * Two-person (N-person) approval. A graph declares, per interrupting node, how many distinct reviewers must
 * approve (GraphDefinition.quorum). Each approval is a row in the accounts database keyed by (checkpoint, person):
 * the same person approving twice is refused, and the thread stays interrupted until the count reaches the
 * quorum; the approval that completes it resumes the run with the approvers' names added to the resume value.
 * A non-approval (reject, edit) decides at once, as without a quorum.
 *
 * Every approval is checked against the head the reviewer saw (`expectedCheckpointId`): approvals of a
 * checkpoint that is no longer the head count for nothing.
 */
const actionIs = (name: string) => (v: unknown) => typeof v === "object" && v !== null && (v as { action?: unknown }).action === name;
const isApproveAction = actionIs("approve");
const isRejectAction = actionIs("reject");

function quorumNodes(rt: Runtime, graphId: string | null): string[] {
  if (!graphId || !rt.graphs.has(graphId)) return [];
  const q = rt.graphs.definition(graphId).quorum ?? {};
  return Object.keys(q).filter((n) => q[n].approvals > 1);
}

/**
 * The ways around a quorum, closed: a run that jumps (`goto`) or writes state (`update`) on such a graph needs
 * an admin; an edit or fork "as" a quorum node (as if it had run and decided) is refused; a decision aimed at a
 * checkpoint other than the head is refused at a quorum node (fork into a new thread to decide there).
 */
export function guardQuorum(
  rt: Runtime,
  who: Caller,
  graphId: string,
  op: { goto?: unknown; update?: unknown; asNode?: string; decidingAt?: Checkpoint | null; headId?: string | null },
): void {
  const nodes = quorumNodes(rt, graphId);
  if (nodes.length === 0) return;
  if ((op.goto !== undefined || op.update !== undefined) && who.principal.role !== "admin")
    throw new WaypointError(
      "FORBIDDEN",
      `Graph "${graphId}" needs several approvals at ${nodes.join(", ")}: a run with goto or update could skip them, so only an admin may send one.`,
      {
        action: "run",
        role: who.principal.role,
      },
    );
  if (op.asNode !== undefined && nodes.includes(op.asNode))
    throw new WaypointError(
      "FORBIDDEN",
      `Editing "as ${op.asNode}" would stand in for the approvals that node needs; edit without asNode, then approve.`,
      {
        action: "edit",
        role: who.principal.role,
      },
    );
  const at = op.decidingAt;
  if (at && at.id !== op.headId && at.interrupts.some((i) => nodes.includes(i.node)))
    throw new WaypointError(
      "CONFLICT",
      `Checkpoint ${at.id} waits at a node that needs several approvals and is not the thread's head: fork it into a new thread and decide there.`,
    );
}

function ruleFor(rt: Runtime, graphId: string | null, head: Checkpoint): { node: string; rule: QuorumRule } | null {
  if (!graphId || !rt.graphs.has(graphId) || head.interrupts.length === 0) return null;
  const quorum = rt.graphs.definition(graphId).quorum;
  if (!quorum) return null;
  const node = head.interrupts[0].node;
  const rule = quorum[node];
  return rule && rule.approvals > 1 ? { node, rule } : null;
}

/** The people who may not approve this checkpoint: whoever caused it, and whoever started the thread. */
async function initiators(rt: Runtime, head: Checkpoint): Promise<Set<string>> {
  const out = new Set<string>();
  const add = (cp: Checkpoint | null | undefined) => typeof cp?.metadata.actorId === "string" && out.add(cp.metadata.actorId);
  add(head);
  const [first] = await rt.store.list(head.threadId, { order: "asc", limit: 1 });
  add(first);
  return out;
}

async function approvalsOf(rt: Runtime, checkpointId: string) {
  return rt.access.db.prisma.approval.findMany({ where: { checkpointId }, orderBy: { at: "asc" } });
}

export async function quorumView(rt: Runtime, t: ThreadInfo, head: Checkpoint): Promise<ApiQuorum | null> {
  const r = ruleFor(rt, t.graphId, head);
  if (!r) return null;
  const rows = await approvalsOf(rt, head.id);
  return {
    node: r.node,
    checkpointId: head.id,
    required: r.rule.approvals,
    excludeInitiator: Boolean(r.rule.excludeInitiator),
    initiators: r.rule.excludeInitiator ? [...(await initiators(rt, head))] : [],
    approvals: rows.map((a) => ({ actorId: a.userId, name: a.userName, at: new Date(a.at).toISOString() })),
  };
}

export type QuorumOutcome = { pending: true; view: ApiQuorum } | { pending: false; resume?: unknown };

export async function decideWithQuorum(
  rt: Runtime,
  who: Caller,
  t: ThreadInfo,
  graphId: string,
  resume: unknown,
  expectedCheckpointId: string | undefined,
): Promise<QuorumOutcome> {
  if (t.status !== "interrupted" || !t.headCheckpointId) return { pending: false };
  const head = await rt.store.load(t.headCheckpointId);
  const r = ruleFor(rt, graphId, head);
  if (!r) return { pending: false };
  if (expectedCheckpointId !== undefined && expectedCheckpointId !== head.id) throw staleCheckpoint(t.threadId, expectedCheckpointId, head.id);
  const approving = (r.rule.isApproval ?? isApproveAction)(resume);
  if (!approving) {
    // One rejection decides alone; anything else (an edit that publishes, say) would be a single person's yes.
    if ((r.rule.isRejection ?? isRejectAction)(resume)) return { pending: false };
    throw new WaypointError(
      "INVALID_ARGUMENT",
      `At "${r.node}" a decision needs ${r.rule.approvals} approvals: answer approve or reject (edit the state first if it needs changes).`,
    );
  }
  const me = who.principal.actorId;
  if (r.rule.excludeInitiator && (await initiators(rt, head)).has(me))
    throw new WaypointError(
      "FORBIDDEN",
      "You started this run or caused the checkpoint under review, so your approval cannot count towards its quorum; another reviewer must approve.",
      {
        action: "decide",
        role: who.principal.role,
      },
    );
  try {
    await rt.access.db.prisma.approval.create({
      data: { checkpointId: head.id, userId: me, threadId: t.threadId, userName: who.principal.name, value: JSON.stringify(resume ?? null) },
    });
  } catch (err) {
    if ((err as { code?: unknown }).code === "P2002" || isWaypointError(err))
      throw new WaypointError("ALREADY_APPROVED", "You have already approved this checkpoint; it needs approvals from other reviewers.");
    throw err;
  }
  const rows = await approvalsOf(rt, head.id);
  if (rows.length < r.rule.approvals) {
    await who.audit({
      action: "approve_partial",
      threadId: t.threadId,
      graphId,
      checkpointBefore: head.id,
      detail: { resume, approvals: rows.length, required: r.rule.approvals },
    });
    return { pending: true, view: (await quorumView(rt, t, head))! };
  }
  const approvedBy = rows.map((a) => a.userName);
  const value = typeof resume === "object" && resume !== null && !Array.isArray(resume) ? { ...(resume as object), approvedBy } : resume;
  return { pending: false, resume: value };
}
