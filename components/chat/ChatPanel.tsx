"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useStream } from "@langchain/langgraph-sdk/react";
import { Button } from "@/components/ui/Button";

/**
 * A chat over the `chat` demo graph, written only against LangGraph's client: the SDK's `useStream` hook talking
 * to Waypoint's LangGraph protocol routes (/api/langgraph), with the signed-in session's cookie — exactly what
 * agent-chat-ui does. The thread it creates is an ordinary Waypoint thread (the link opens it in the dashboard).
 */
interface ChatMessage {
  id?: string;
  type: string;
  content: unknown;
  tool_calls?: { name: string; args: Record<string, unknown>; id?: string }[];
  name?: string;
}
interface ToolApproval {
  action_request: { action: string; args: Record<string, unknown> };
  description?: string;
}

const text = (c: unknown) =>
  typeof c === "string" ? c : Array.isArray(c) ? c.map((b) => (typeof b === "string" ? b : ((b as { text?: string })?.text ?? ""))).join("") : "";

export function ChatPanel() {
  // Client-only (see app/chat/page.tsx): the SDK needs an absolute URL, and the thread comes from ?thread=.
  const [apiUrl] = useState(() => `${window.location.origin}/api/langgraph`);
  const [initialThreadId] = useState(() => new URLSearchParams(window.location.search).get("thread"));
  const [threadId, setThreadId] = useState<string | null>(initialThreadId);
  const [draft, setDraft] = useState("");
  const stream = useStream<{ messages: ChatMessage[] }>({
    apiUrl,
    apiKey: null, // the session cookie authenticates; never a key from the environment
    assistantId: "chat",
    messagesKey: "messages",
    threadId,
    onThreadId: (id) => {
      setThreadId(id);
      window.history.replaceState(null, "", `/chat?thread=${encodeURIComponent(id)}`);
    },
  });
  const approval = stream.interrupt?.value as ToolApproval | undefined;
  const messages = stream.messages as unknown as ChatMessage[];

  const send = (e: FormEvent) => {
    e.preventDefault();
    const content = draft.trim();
    if (!content) return;
    setDraft("");
    // A new thread gets the first message as its label, which the dashboard's thread list shows.
    void stream.submit({ messages: [{ type: "human", content }] } as never, {
      streamMode: ["values", "messages-tuple", "custom"],
      ...(threadId ? {} : { metadata: { label: content.slice(0, 80) } }),
    });
  };
  const answer = (type: "accept" | "ignore") => void stream.submit(undefined, { command: { resume: [{ type, args: null }] } });

  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-3" data-testid="chat-page">
      <div className="flex items-center justify-between">
        <h1 className="text-lg font-semibold">Chat</h1>
        {threadId && (
          <Link href={`/threads/${threadId}`} className="text-sm text-indigo-600 hover:underline" data-testid="chat-thread-link">
            Open this thread in the dashboard
          </Link>
        )}
      </div>
      <p className="text-sm text-slate-500">
        The <code>chat</code> graph through the LangGraph protocol and the SDK&apos;s <code>useStream</code>. Try “what is 12 * 7” or “look up
        checkpoint”.
      </p>
      <ol className="flex flex-col gap-2" data-testid="chat-messages">
        {messages.map((m, i) => (
          <li
            key={m.id ?? i}
            data-testid={`chat-message-${m.type}`}
            className={`rounded-lg px-3 py-2 text-sm ring-1 ${m.type === "human" ? "self-end bg-indigo-50 ring-indigo-200" : m.type === "tool" ? "bg-amber-50 font-mono ring-amber-200" : "bg-white ring-slate-200"}`}
          >
            {m.type === "tool" && <span className="mr-2 text-xs text-amber-700">{m.name ?? "tool"} →</span>}
            {text(m.content)}
            {m.tool_calls?.map((c) => (
              <div key={c.id ?? c.name} className="mt-1 font-mono text-xs text-slate-500">
                calls {c.name}({JSON.stringify(c.args)})
              </div>
            ))}
          </li>
        ))}
      </ol>
      {approval?.action_request && !stream.isLoading && (
        <div className="rounded-lg bg-amber-50 p-3 text-sm ring-1 ring-amber-300" data-testid="chat-approval">
          <p className="mb-2">{approval.description ?? `Run ${approval.action_request.action}?`}</p>
          <div className="flex gap-2">
            <Button variant="success" onClick={() => answer("accept")} data-testid="chat-accept">
              Accept
            </Button>
            <Button onClick={() => answer("ignore")} data-testid="chat-ignore">
              Ignore
            </Button>
          </div>
        </div>
      )}
      {stream.error != null && (
        <p role="alert" className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200">
          {stream.error instanceof Error ? stream.error.message : String(stream.error)}
        </p>
      )}
      <form onSubmit={send} className="flex gap-2">
        <input
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder="Message"
          aria-label="Message"
          data-testid="chat-input"
          className="flex-1 rounded-md px-3 py-1.5 text-sm ring-1 ring-inset ring-slate-300"
        />
        <Button type="submit" variant="primary" pending={stream.isLoading} data-testid="chat-send">
          Send
        </Button>
      </form>
    </div>
  );
}
