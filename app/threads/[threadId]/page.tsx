import type { Metadata } from "next";
import { ThreadView } from "@/components/thread/ThreadView";

type Props = { params: Promise<{ threadId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { threadId } = await params;
  return { title: `Thread ${threadId.slice(0, 8)}` };
}

export default async function ThreadPage({ params }: Props) {
  const { threadId } = await params;
  // Keyed by thread: following a fork link to another thread starts its view afresh (selection, compare).
  return <ThreadView key={threadId} threadId={decodeURIComponent(threadId)} />;
}
