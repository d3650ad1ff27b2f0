/**
 * The printed report: the main table (ours, the peer's and their ratio per backend) and a breakdown of where
 * a sequential invoke's time goes (store calls by method vs everything outside the store).
 */
import { fmt, markdownTable, ratio } from "./stats";
import type { PeerResult } from "./peer";

export type Medians = Record<string, number>;

export interface BackendResult {
  ours?: Medians;
  probe?: Record<string, number>;
  reps?: unknown[];
  error?: string;
  peer?: PeerResult;
}

const row = (label: string, m: Medians): string[] => [
  label,
  fmt(m.seq_steps_per_s),
  fmt(m.seq_ms_per_step, 3),
  fmt(m.seq_p50_ms, 2),
  fmt(m.seq_p99_ms, 2),
  fmt(m.loop_run_ms),
  `${fmt(m.history_ms)} (${fmt(m.history_count)})${Number.isFinite(m.history_cold_ms) ? ` · cold ${fmt(m.history_cold_ms)}` : ""}`,
  fmt(m.getstate_ms, 2),
  fmt(m.conc_steps_per_s),
  fmt(m.bytes_per_step),
];

// Ratios read "how many times better Waypoint is": rates ours/peer, times peer/ours; bytes ours/peer (smaller is better).
const ratioRow = (o: Medians, p: Medians): string[] => [
  "ratio (× better)",
  ratio(o.seq_steps_per_s, p.seq_steps_per_s),
  ratio(p.seq_ms_per_step, o.seq_ms_per_step),
  ratio(p.seq_p50_ms, o.seq_p50_ms),
  ratio(p.seq_p99_ms, o.seq_p99_ms),
  ratio(p.loop_run_ms, o.loop_run_ms),
  ratio(p.history_ms, o.history_ms),
  ratio(p.getstate_ms, o.getstate_ms),
  ratio(o.conc_steps_per_s, p.conc_steps_per_s),
  `${ratio(o.bytes_per_step, p.bytes_per_step)} the size`,
];

const blank = (label: string, text: string) => [label, text.replace(/\s+/g, " ").slice(0, 140), ...Array(8).fill("")];

export function mainTable(results: Record<string, BackendResult>): string {
  const rows: string[][] = [
    [
      "backend",
      "seq steps/s",
      "ms/step",
      "p50 ms/invoke",
      "p99 ms/invoke",
      "1k-step run ms",
      "full history ms (n) · cold cache",
      "latest state ms",
      "20-conc steps/s",
      "bytes/step",
    ],
  ];
  for (const [kind, r] of Object.entries(results)) {
    rows.push(r.ours ? row(`${kind} — Waypoint`, r.ours) : blank(`${kind} — Waypoint`, `skipped: ${r.error}`));
    if (r.peer?.median) rows.push(row(`${kind} — LangGraph.js`, r.peer.median));
    else if (r.peer) rows.push(blank(`${kind} — LangGraph.js`, `failed: ${r.peer.error}`));
    if (r.ours && r.peer?.median) rows.push(ratioRow(r.ours, r.peer.median));
  }
  return markdownTable(rows);
}

/** Per sequential 10-step invoke and per step of the long loop: store time by method, the rest, round trips. */
export function breakdownTable(results: Record<string, BackendResult>): string {
  const rows: string[][] = [
    [
      "backend",
      "invoke ms",
      "save ms (calls)",
      "lock acquire+release ms",
      "updateThread ms (calls)",
      "latest ms",
      "outside store ms",
      "round trips / commits per invoke",
      "loop step: save ms",
      "loop step: outside ms",
      "round trips / commits per loop step",
    ],
  ];
  for (const [kind, r] of Object.entries(results)) {
    const b = r.probe;
    if (!b) continue;
    const g = (k: string) => b[k] ?? 0;
    const trips = (label: string) =>
      b[`pg_queries_${label}`] !== undefined
        ? `${fmt(g(`pg_queries_${label}`), 2)} / ${fmt(g(`pg_write_commits_${label}`), 2)}`
        : b[`redis_commands_${label}`] !== undefined
          ? `${fmt(g(`redis_commands_${label}`), 2)} commands`
          : "—";
    rows.push([
      kind,
      fmt(g("ms_store_per_invoke") + g("ms_outside_store_per_invoke"), 2),
      `${fmt(g("ms_save_per_invoke"), 2)} (${fmt(g("calls_save_per_invoke"))})`,
      fmt(g("ms_acquireLock_per_invoke") + g("ms_releaseLock_per_invoke"), 2),
      `${fmt(g("ms_updateThread_per_invoke"), 2)} (${fmt(g("calls_updateThread_per_invoke"))})`,
      fmt(g("ms_latest_per_invoke"), 2),
      fmt(g("ms_outside_store_per_invoke"), 2),
      trips("per_invoke"),
      fmt(g("ms_save_per_loop_step"), 3),
      fmt(g("ms_outside_store_per_loop_step"), 3),
      trips("per_loop_step"),
    ]);
  }
  return markdownTable(rows);
}
