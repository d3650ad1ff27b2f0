import type { Checkpoint } from "./types";

export function timeAgo(iso: string, now = Date.now()): string {
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(s)) return "";
  if (s < 5) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return new Date(iso).toLocaleDateString();
}

export function clock(iso: string): string {
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

export const SOURCE_LABEL: Record<string, string> = { input: "input", loop: "step", update: "human edit", fork: "fork" };

/** Node label for a checkpoint: reserved names read as what they are. */
export function nodeLabel(cp: Pick<Checkpoint, "nodeName" | "metadata">): string {
  if (cp.nodeName === "__input__") return "input";
  if (cp.nodeName === "__update__") return "state edited";
  if (cp.nodeName === "__fork__") return "forked";
  return cp.nodeName;
}

export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

export function pathText(path: (string | number)[] | string): string {
  if (typeof path === "string") return path;
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("") || "(root)";
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** A byte count for people: "512 B", "3.46 KiB", "12.4 MiB", "387 MiB" (1024-based, at most three significant digits). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "—";
  if (n < 1024) return `${Math.round(n)} B`;
  let i = 0;
  while (n >= 1024 && i < BYTE_UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  const text = n >= 100 ? String(Math.round(n)) : n.toFixed(n >= 10 ? 1 : 2).replace(/\.?0+$/, "");
  // 1023.7 KiB rounds to "1024": say 1 MiB.
  return text === "1024" && i < BYTE_UNITS.length - 1 ? `1 ${BYTE_UNITS[i + 1]}` : `${text} ${BYTE_UNITS[i]}`;
}

/** A step's duration for people: "0 ms", "850 ms", "1.25 s", "12.3 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toPrecision(3))} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
