"use client";
import dynamic from "next/dynamic";

/** /chat[?thread=id]: the chat demo through the LangGraph protocol, rendered in the browser only (it needs the page's origin). */
const ChatPanel = dynamic(() => import("@/components/chat/ChatPanel").then((m) => m.ChatPanel), { ssr: false });

export default function ChatPage() {
  return <ChatPanel />;
}
