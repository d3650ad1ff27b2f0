import { randomUUID } from "node:crypto";
import { z } from "zod";
import { END, START, StateGraph, interrupt } from "waypoint/engine";
import { defineGraph } from "waypoint/config";
import { addMessages, lastMessage, streamText, textOf, type Message, type ToolCall } from "./messages";

/**
 * `chat` — a tool-calling assistant in LangChain's message format, what agent-chat-ui and the SDK's `useStream`
 * render. No model and no network: `agent` is a scripted assistant that answers, or asks for one of two local,
 * deterministic tools (`calculator`, `lookup`); `tools` stops with an Agent Inbox style interrupt asking a human
 * to accept, edit, answer instead, or ignore the tool call, then runs it and hands the result back to `agent`.
 */
const MessageIn = z.union([
  z.string().min(1).max(20_000),
  z.looseObject({
    type: z.string().optional(),
    role: z.string().optional(),
    content: z.union([z.string().max(20_000), z.array(z.unknown())]),
    id: z.string().max(200).optional(),
  }),
]);
const input = z.object({ messages: z.union([MessageIn, z.array(MessageIn).min(1).max(100)]) }).strict();

const FACTS: Record<string, string> = {
  checkpoint: "A checkpoint is a saved snapshot of a thread's state after one step; Waypoint saves one after every super-step.",
  interrupt: "An interrupt pauses a run until a human answers; the run resumes from the saved checkpoint.",
  waypoint: "Waypoint runs graph workflows with checkpoints in a pluggable store and a dashboard for reviewers.",
  langgraph: "LangGraph is a library for stateful, multi-actor applications modelled as graphs of nodes and edges.",
  fork: "A fork continues a thread from an earlier checkpoint as a new branch, leaving the old one untouched.",
};

/** + - * / and parentheses over numbers, by recursive descent (never eval). */
export function calculate(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/()]/g) ?? [];
  if (tokens.join("") !== expression.replace(/\s+/g, "")) throw new Error(`Cannot calculate "${expression}": use numbers, + - * / and parentheses.`);
  let i = 0;
  const peek = () => tokens[i];
  const primary = (): number => {
    const t = tokens[i++];
    if (t === "(") {
      const v = sum();
      if (tokens[i++] !== ")") throw new Error("Unbalanced parentheses.");
      return v;
    }
    if (t === "-") return -primary();
    const n = Number(t);
    if (t === undefined || Number.isNaN(n)) throw new Error(`Unexpected "${t ?? "end"}".`);
    return n;
  };
  const product = (): number => {
    let v = primary();
    while (peek() === "*" || peek() === "/") v = tokens[i++] === "*" ? v * primary() : v / primary();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === "+" || peek() === "-") v = tokens[i++] === "+" ? v + product() : v - product();
    return v;
  };
  const v = sum();
  if (i !== tokens.length) throw new Error(`Unexpected "${tokens[i]}".`);
  return v;
}

function runTool(call: ToolCall): string {
  if (call.name === "calculator") return String(calculate(String(call.args.expression ?? "")));
  const topic = String(call.args.topic ?? "").toLowerCase();
  return FACTS[topic] ?? `Nothing found about "${topic}". Known topics: ${Object.keys(FACTS).join(", ")}.`;
}

/** What the scripted assistant wants to do with a human message: a tool call, or a direct answer. */
function plan(text: string): ToolCall | string {
  const expr = text.match(/[\d(][\d\s+\-*/().]*[\d)]/)?.[0];
  if (expr && /[-+*/]/.test(expr))
    return { name: "calculator", args: { expression: expr.trim() }, id: `call_${randomUUID().slice(0, 8)}`, type: "tool_call" };
  const topic = text.toLowerCase().match(/(?:look up|lookup|what is an?|what is|define|tell me about)\s+([a-z-]+)/)?.[1];
  if (topic) return { name: "lookup", args: { topic }, id: `call_${randomUUID().slice(0, 8)}`, type: "tool_call" };
  return `You said: "${text.slice(0, 200)}". I can calculate (try "what is 12 * 7") or look things up (try "look up checkpoint").`;
}

/**
 * The human's answer at the approval interrupt: Agent Inbox's `{ type, args }` (alone or as a one-item list, as
 * agent-chat-ui sends it), or `{ action: "approve" | "reject" }`. Declared on the node, so a malformed answer is
 * refused before the run, and the dashboard draws Accept / Ignore / Answer instead / Edit the call from it.
 */
const ReviewOne = z.union([
  z.discriminatedUnion("type", [
    z.object({ type: z.literal("accept").meta({ title: "Accept" }), args: z.unknown().optional().meta({ readOnly: true }) }),
    z.object({ type: z.literal("ignore").meta({ title: "Ignore", tone: "danger" }), args: z.unknown().optional().meta({ readOnly: true }) }),
    z.object({
      type: z.literal("response").meta({ title: "Answer instead" }),
      args: z.string().trim().min(1).max(20_000).meta({ title: "Your answer", format: "textarea" }),
    }),
    z.object({
      type: z.literal("edit").meta({ title: "Edit the call" }),
      args: z.object({ action: z.string().optional(), args: z.record(z.string(), z.unknown()) }).meta({ title: "The call, as JSON" }),
    }),
  ]),
  z.object({ action: z.enum(["approve", "reject"]), comment: z.string().optional() }),
]);
const Review = z.union([ReviewOne, z.array(ReviewOne).length(1)]);

export const chat = defineGraph({
  input,
  failureHint: 'Ask it to calculate something malformed, e.g. "what is 1 / (2", and accept: the tool fails. Edit the tool call or ignore it.',
  build: () =>
    new StateGraph({
      messages: { reducer: addMessages, default: () => [], description: "The conversation, in LangChain's message format." },
    })
      .addNode(
        "agent",
        async (s, ctx) => {
          const last = lastMessage(s.messages);
          const id = `ai-${randomUUID()}`;
          // Answers are streamed token by token, as a model's would be; a tool call is sent whole.
          const say = async (text: string) => ({ messages: [{ type: "ai", id, content: await streamText(ctx, id, text), tool_calls: [] }] });
          if (last?.type === "tool") return say(`The ${last.name ?? "tool"} says: ${textOf(last)}`);
          const wanted = plan(last ? textOf(last) : "");
          if (typeof wanted === "string") return say(wanted);
          return { messages: [{ type: "ai", id, content: `Let me use ${wanted.name}.`, tool_calls: [wanted] }] };
        },
        { description: "Scripted assistant: answers, or asks for a tool call." },
      )
      .addNode(
        "tools",
        (s, ctx) => {
          const call = (lastMessage(s.messages)?.tool_calls ?? [])[0];
          if (!call) return {};
          const raw = interrupt<unknown>({
            action_request: { action: call.name, args: call.args },
            config: { allow_ignore: true, allow_respond: true, allow_edit: true, allow_accept: true },
            description: `The assistant wants to call \`${call.name}\` with ${JSON.stringify(call.args)}. Accept, edit, respond or ignore?`,
          });
          const parsed = ReviewOne.safeParse(Array.isArray(raw) ? raw[0] : raw);
          const review = parsed.success ? parsed.data : { type: "ignore" as const };
          const tool = (content: string, status: "success" | "error" = "success"): Message => ({
            type: "tool",
            id: `tool-${randomUUID()}`,
            name: call.name,
            tool_call_id: call.id,
            content,
            status,
          });
          if ("action" in review ? review.action === "reject" : review.type === "ignore")
            return { messages: [tool("The human declined this tool call.", "error")] };
          if ("type" in review && review.type === "response") return { messages: [tool(`The human answered instead: ${review.args}`)] };
          const args = "type" in review && review.type === "edit" ? review.args.args : call.args;
          ctx.emit({ tool: call.name, args, status: "running" }); // shown live by clients streaming `custom`
          try {
            return { messages: [tool(runTool({ ...call, args }))] };
          } catch (err) {
            return { messages: [tool(`Error: ${(err as Error).message}`, "error")] };
          }
        },
        { description: "Asks a human to approve the tool call (dynamic interrupt), then runs it.", resume: Review },
      )
      .addEdge(START, "agent")
      .addConditionalEdges("agent", (s) => ((lastMessage(s.messages)?.tool_calls ?? []).length ? "tool call" : "answer"), {
        "tool call": "tools",
        answer: END,
      })
      .addEdge("tools", "agent"),
});
