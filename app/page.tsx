import { NewRunForm } from "@/components/threads/NewRunForm";
import { ThreadList } from "@/components/threads/ThreadList";

export default async function ThreadsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await searchParams;
  const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : undefined);
  return (
    <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_380px]">
      <ThreadList initial={{ status: one(q.status), graph: one(q.graph) }} />
      <div className="lg:sticky lg:top-16 lg:self-start">
        <NewRunForm />
      </div>
    </div>
  );
}
