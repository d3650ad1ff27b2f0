import { randomUUID } from "node:crypto";
import type { NodeContext } from "../engine/types";
import { sleep } from "./util";

/**
 * LangChain's message format as plain JSON (what `useStream` and agent-chat-ui read in `values.messages`):
 * `{ type: "human" | "ai" | "tool" | "system", content, id, tool_calls?, tool_call_id?, name? }`.
 * `addMessages` is LangGraph's `add_messages` reducer: appends, replaces a message with the same id, removes on
 * `{ type: "remove", id }`, accepts `{ role: "user" | "assistant" }` and bare strings, and gives every message an id.
 */
export interface ToolCall {
  name: string;
  args: Record<string, unknown>;
  id: string;
  type?: "tool_call";
}

export interface Message {
  type: string;
  content: unknown;
  id?: string;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  [key: string]: unknown;
}

const ROLE_TYPES: Record<string, string> = { user: "human", human: "human", assistant: "ai", ai: "ai", system: "system", tool: "tool" };

function normalize(m: unknown): Message {
  if (typeof m === "string") return { type: "human", content: m, id: randomUUID() };
  const o = (typeof m === "object" && m !== null ? m : { content: String(m) }) as Record<string, unknown>;
  const { role, ...rest } = o;
  const type = typeof o.type === "string" ? (ROLE_TYPES[o.type] ?? o.type) : (ROLE_TYPES[String(role)] ?? "human");
  return { ...rest, type, content: o.content ?? "", id: typeof o.id === "string" && o.id ? o.id : randomUUID() } as Message;
}

export function addMessages(current: Message[], update: unknown): Message[] {
  const out = [...(Array.isArray(current) ? current : [])];
  for (const raw of Array.isArray(update) ? update : [update]) {
    const m = normalize(raw);
    const at = out.findIndex((x) => x.id === m.id);
    if (m.type === "remove") {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = m;
    else out.push(m);
  }
  return out;
}

export function lastMessage(messages: unknown): Message | undefined {
  return Array.isArray(messages) && messages.length ? (messages[messages.length - 1] as Message) : undefined;
}

/** A message's text: string content as is, content blocks' `text` joined. */
export function textOf(m: Message): string {
  if (typeof m.content === "string") return m.content;
  if (Array.isArray(m.content))
    return m.content
      .map((b) => (typeof b === "string" ? b : typeof (b as { text?: unknown })?.text === "string" ? (b as { text: string }).text : ""))
      .join("");
  return "";
}

/**
 * What a node emits for one token of a message it is writing (`ctx.emit({ [MESSAGE_CHUNK]: chunk })`): the
 * LangGraph protocol's `messages-tuple` stream sends these as `AIMessageChunk`s, as a model's tokens would be.
 */
export const MESSAGE_CHUNK = "__message_chunk__";

/** Streams `text` word by word as chunks of message `id`, then returns it (the node still returns the whole message). */
export async function streamText(ctx: NodeContext, id: string, text: string, delayMs = 15): Promise<string> {
  for (const token of text.match(/\S+\s*/g) ?? []) {
    ctx.emit({ [MESSAGE_CHUNK]: { type: "AIMessageChunk", id, content: token } });
    await sleep(delayMs, ctx.signal);
  }
  return text;
}
