import type { ThreadStatus } from "@/lib/client/types";

const STYLE: Record<ThreadStatus, { cls: string; dot: string; label: string }> = {
  idle: { cls: "bg-slate-100 text-slate-700 ring-slate-300", dot: "bg-slate-400", label: "idle" },
  running: { cls: "bg-sky-50 text-sky-800 ring-sky-300", dot: "bg-sky-500 animate-pulse", label: "running" },
  interrupted: { cls: "bg-amber-50 text-amber-900 ring-amber-400", dot: "bg-amber-500", label: "needs review" },
  done: { cls: "bg-emerald-50 text-emerald-800 ring-emerald-300", dot: "bg-emerald-500", label: "done" },
  error: { cls: "bg-rose-50 text-rose-800 ring-rose-300", dot: "bg-rose-500", label: "error" },
  cancelled: { cls: "bg-zinc-100 text-zinc-800 ring-zinc-400", dot: "bg-zinc-500", label: "cancelled" },
};

/** One badge per thread status; "interrupted" reads as what it means for a reviewer. */
export function StatusBadge({ status }: { status: ThreadStatus }) {
  const s = STYLE[status] ?? STYLE.idle;
  return (
    <span
      data-testid="status-badge"
      data-status={status}
      className={`inline-flex items-center gap-1.5 whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${s.cls}`}
    >
      <span className={`h-1.5 w-1.5 rounded-full ${s.dot}`} aria-hidden />
      {s.label}
    </span>
  );
}
