"use client";
import { useState } from "react";
import { errorMessage } from "@/lib/client/api";
import { Button } from "../ui/Button";
import { useCancelRun } from "./actions";

/**
 * "Stop" for a running thread, with an inline confirmation (the step in progress is lost; the thread can be
 * resumed from its last checkpoint). Shown only to callers allowed to run the graph.
 */
export function StopRun({ threadId }: { threadId: string }) {
  const cancel = useCancelRun(threadId);
  const [asking, setAsking] = useState(false);

  if (!asking)
    return (
      <span className="flex items-center gap-2">
        <Button variant="secondary" className="py-1 text-xs" onClick={() => setAsking(true)} data-testid="stop-run">
          <span className="h-2.5 w-2.5 rounded-[2px] bg-rose-600" aria-hidden /> Stop
        </Button>
        {cancel.error && (
          <span role="alert" data-testid="stop-run-error" className="text-xs text-rose-800">
            {errorMessage(cancel.error)}
          </span>
        )}
      </span>
    );
  return (
    <span
      role="group"
      aria-label="Stop the run?"
      data-testid="stop-run-confirm"
      className="flex flex-wrap items-center gap-2 rounded-md bg-rose-50 px-2 py-1 text-xs text-rose-900 ring-1 ring-rose-200"
      onKeyDown={(e) => e.key === "Escape" && setAsking(false)}
    >
      <span>Stop the run? The step in progress is discarded; you can resume from the last checkpoint.</span>
      <Button
        // Focus moves to the confirmation the person just asked for (Esc or "Keep running" backs out).
        autoFocus
        variant="danger"
        className="py-1 text-xs"
        pending={cancel.isPending}
        onClick={() => cancel.mutate(undefined, { onSettled: () => setAsking(false) })}
        data-testid="stop-run-yes"
      >
        Stop run
      </Button>
      <Button variant="ghost" className="py-1 text-xs" onClick={() => setAsking(false)} disabled={cancel.isPending} data-testid="stop-run-no">
        Keep running
      </Button>
    </span>
  );
}
