import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import { Annotation, END, MessagesAnnotation, START, StateGraph, interrupt } from "@langchain/langgraph";

/**
 * `expense` — a LangGraph.js `StateGraph` (not Waypoint's engine), registered in waypoint.config.ts like the
 * others and run by the server through `WaypointSaver`. No model, no network: `triage` is a rule.
 *
 * triage → (over the limit) review: a dynamic `interrupt()` asking a person to approve or reject
 *        → pay: a static `interruptBefore` (the payment is released by a person pressing Continue)
 *        → done. A rejected claim ends at `reject`.
 * `delayMs` makes triage slow (to watch it run, or kill the server mid-run); `failPayment: true` makes pay fail
 * until the state is edited (to show a retry after an error).
 */
export const ExpenseState = Annotation.Root({
  ...MessagesAnnotation.spec,
  employee: Annotation<string>,
  amount: Annotation<number>,
  purpose: Annotation<string>,
  delayMs: Annotation<number>,
  failPayment: Annotation<boolean>,
  category: Annotation<string>,
  decision: Annotation<string>,
  paid: Annotation<boolean>,
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});
type S = typeof ExpenseState.State;

/** Claims above this need a person's approval. */
export const LIMIT = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function triage(s: S): Promise<Partial<S>> {
  if (s.delayMs > 0) await sleep(Math.min(s.delayMs, 60_000));
  const category = /travel|train|flight|hotel/i.test(s.purpose ?? "") ? "travel" : "equipment";
  const over = s.amount > LIMIT;
  const said: BaseMessage = new AIMessage(
    over
      ? `${s.employee}'s ${category} claim of ${s.amount} is over the ${LIMIT} limit: it needs a person's approval.`
      : `${s.employee}'s ${category} claim of ${s.amount} is within the limit: approved automatically.`,
  );
  return { category, messages: [said], log: [`triage: ${category}`], ...(over ? {} : { decision: "auto-approved" }) };
}

/**
 * The answer `review` expects, as JSON Schema on LangGraph's `interrupt(value, { responseSchema })`: LangGraph
 * puts it on the interrupt, and the dashboard draws its decision buttons and fields from it.
 */
const DECISION = z.discriminatedUnion("action", [
  z.object({ action: z.literal("approve"), comment: z.string().optional().describe("Optional, kept with the decision.") }).strict(),
  z.object({ action: z.literal("reject"), comment: z.string().min(1).describe("Why the claim is rejected.") }).strict(),
]);

function review(s: S): Partial<S> {
  const answer = interrupt<Record<string, unknown>, { action?: string; comment?: string }>(
    {
      question: `Approve ${s.employee}'s ${s.category} claim of ${s.amount}?`,
      employee: s.employee,
      amount: s.amount,
      purpose: s.purpose,
    },
    { responseSchema: DECISION },
  );
  const approved = answer?.action === "approve";
  const words = typeof answer?.comment === "string" && answer.comment ? `: ${answer.comment}` : "";
  return {
    decision: approved ? "approved" : "rejected",
    messages: [new HumanMessage(`${approved ? "Approved" : "Rejected"}${words}`)],
    log: [`review: ${approved ? "approved" : "rejected"}`],
  };
}

function pay(s: S): Partial<S> {
  if (s.failPayment) throw new Error(`The payment system refused ${s.employee}'s payment: edit failPayment to false and retry.`);
  return { paid: true, messages: [new AIMessage(`Paid ${s.amount} to ${s.employee}.`)], log: ["pay"] };
}

function reject(s: S): Partial<S> {
  return { paid: false, messages: [new AIMessage(`${s.employee}'s claim was rejected.`)], log: ["reject"] };
}

/** Uncompiled: the server compiles it with its own checkpointer and the static interrupt below. */
export const expenseGraph = new StateGraph(ExpenseState)
  .addNode("triage", triage)
  .addNode("review", review)
  .addNode("pay", pay)
  .addNode("reject", reject)
  .addEdge(START, "triage")
  .addConditionalEdges("triage", (s: S) => (s.decision === "auto-approved" ? "pay" : "review"), ["review", "pay"])
  .addConditionalEdges("review", (s: S) => (s.decision === "approved" ? "pay" : "reject"), ["pay", "reject"])
  .addEdge("pay", END)
  .addEdge("reject", END);

/** What waypoint.config.ts registers: the graph compiled with a static interrupt before the payment. */
export const expense = expenseGraph.compile({ interruptBefore: ["pay"] });
