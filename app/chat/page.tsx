"use client";
import { useEffect, useState } from "react";
import { ChatPanel } from "@/components/chat/ChatPanel";

/** /chat[?thread=id]: the chat demo through the LangGraph protocol (rendered in the browser only: it needs the page's origin). */
export default function ChatPage() {
  const [where, setWhere] = useState<{ apiUrl: string; thread: string | null } | null>(null);
  useEffect(() => {
    setWhere({ apiUrl: `${window.location.origin}/api/langgraph`, thread: new URLSearchParams(window.location.search).get("thread") });
  }, []);
  return where ? <ChatPanel apiUrl={where.apiUrl} initialThreadId={where.thread} /> : null;
}
