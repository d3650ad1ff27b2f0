import { Suspense } from "react";
import { NewRunForm } from "@/components/threads/NewRunForm";
import { ThreadList } from "@/components/threads/ThreadList";

export default function ThreadsPage() {
  return (
    <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_380px]">
      {/* The list reads its filters from the URL (useSearchParams), which needs a Suspense boundary. */}
      <Suspense>
        <ThreadList />
      </Suspense>
      <div className="lg:sticky lg:top-16 lg:self-start">
        <NewRunForm />
      </div>
    </div>
  );
}
