/**
 * The growth report (`--growth`): markdown tables for growth.ts's results, with the targets marked
 * ✓ / ✗ where they apply (reads on SQLite and PostgreSQL, history on every persistent backend).
 */
import { ITEM_BYTES, type GrowthBackend, type LoopShape, type PipelineResult } from "./growth";
import { fmt, markdownTable } from "./stats";

export interface PeerGrowth {
  backend: string;
  steps: number;
  ours: LoopShape;
  peer: LoopShape;
  peerDelta: LoopShape;
}

export interface GrowthResults {
  params: { steps: number[]; pipelineSteps: number; peerLoops: number[] };
  backends: Record<string, GrowthBackend>;
  pipeline?: PipelineResult;
  peer?: PeerGrowth[];
  peerVersions?: Record<string, string>;
}

const MB = 1024 * 1024;
const mark = (x: number, limit: number, applies: boolean, digits: number) =>
  `${fmt(x, digits)}${applies && Number.isFinite(x) ? (x <= limit ? " ✓" : " ✗") : ""}`;
/** "wall ✓ (cpu x)": the target is judged on the wall time, the CPU time is there to read it under load. */
const timed = (ms: number, cpu: number, limit: number, applies: boolean, digits: number) =>
  `${mark(ms, limit, applies, digits)} (cpu ${fmt(cpu, digits)})`;

function growthTable(r: GrowthResults): string {
  const rows = [
    [
      "backend",
      "steps",
      "checkpoints (snapshots)",
      "stored bytes",
      "bytes/step",
      "written bytes/step",
      "stored ÷ written",
      "backend grew by",
      "steps/s (per CPU s)",
    ],
  ];
  for (const [kind, b] of Object.entries(r.backends)) {
    if (b.error && !b.rows.length) rows.push([kind, `skipped: ${b.error.replace(/\s+/g, " ").slice(0, 140)}`, ...Array(7).fill("")]);
    for (const g of b.rows)
      rows.push([
        kind,
        fmt(g.steps),
        `${fmt(g.checkpoints)} (${fmt(g.snapshots)})`,
        fmt(g.bytes),
        fmt(g.bytesPerStep),
        fmt(g.writtenPerStep),
        `${fmt(g.bytes / g.writtenBytes, 2)}×`,
        fmt(g.physicalBytes),
        `${fmt(g.steps / (g.runMs / 1000))} (${fmt(g.steps / (g.runCpuMs / 1000))})`,
      ]);
  }
  return markdownTable(rows);
}

function targetsTable(r: GrowthResults): string {
  const [n1, n2] = [Math.min(...r.params.steps), Math.max(...r.params.steps)];
  const ratioLimit = 1.2 * (n2 / n1);
  const rows = [
    [
      "backend",
      `stored bytes ${fmt(n2)} ÷ ${fmt(n1)} steps (≤ ${fmt(ratioLimit, 1)})`,
      `latest state ms, ${fmt(n2)}-step thread (≤ 2 on SQLite/PostgreSQL)`,
      "random old checkpoint load ms (≤ 10 on SQLite/PostgreSQL)",
      `full history with states ms of the ${fmt(n1)}-step thread (≤ 50 persistent)`,
    ],
  ];
  for (const [kind, b] of Object.entries(r.backends)) {
    if (!b.rows.length) continue;
    const first = b.rows.find((g) => g.steps === n1);
    const last = b.rows.find((g) => g.steps === n2);
    const sql = kind === "sqlite" || kind === "postgres";
    const x = b.reads;
    rows.push([
      kind,
      first && last && n2 > n1 ? mark(last.bytes / first.bytes, ratioLimit, true, 2) : "—",
      x ? timed(x.latestMs, x.latestCpu, 2, sql, 2) : "—",
      x ? timed(x.loadOldMs, x.loadOldCpu, 10, sql, 2) : "—",
      x
        ? `${timed(x.historyMs, x.historyCpu, 50, kind !== "memory", 1)}, n = ${fmt(x.historyCount)}`
        : (b.error?.replace(/\s+/g, " ").slice(0, 140) ?? "—"),
    ]);
  }
  return markdownTable(rows);
}

function pipelineTable(p: PipelineResult): string {
  const applies = p.steps >= 10_000;
  return markdownTable([
    ["graph", "steps", "checkpoints", "stored bytes", "SQLite file + WAL grew by (≤ 30 MB at 10,000 steps)", "run s"],
    p.error
      ? ["pipeline on SQLite", fmt(p.steps), p.error.replace(/\s+/g, " ").slice(0, 140), "", "", ""]
      : [
          "pipeline on SQLite",
          fmt(p.steps),
          fmt(p.checkpoints),
          fmt(p.bytes),
          `${mark((p.dbBytes ?? NaN) / MB, 30, applies, 2)} MB`,
          fmt((p.runMs ?? NaN) / 1000, 1),
        ],
  ]);
}

function peerTable(list: PeerGrowth[]): string {
  const rows = [["backend", "steps", "who", "bytes/step (the loop thread)", "backend size/step", "run ms", "full history ms (n)", "latest state ms"]];
  const line = (kind: string, steps: number, who: string, s: LoopShape) =>
    s.error
      ? [kind, fmt(steps), who, `failed: ${s.error.replace(/\s+/g, " ").slice(0, 120)}`, "", "", "", ""]
      : [
          kind,
          fmt(steps),
          who,
          fmt(s.bytesPerStep),
          fmt(s.backendBytesPerStep),
          fmt(s.runMs),
          `${fmt(s.historyMs)} (${fmt(s.historyCount)})`,
          fmt(s.latestMs, 2),
        ];
  for (const p of list) {
    rows.push(line(p.backend, p.steps, "Waypoint", p.ours));
    rows.push(line(p.backend, p.steps, "LangGraph.js", p.peer));
    rows.push(line(p.backend, p.steps, "LangGraph.js --delta", p.peerDelta));
  }
  return markdownTable(rows);
}

export function growthReport(r: GrowthResults): string {
  const out = [
    `\n## Growth: one thread appending a ${ITEM_BYTES}-byte item per step (${r.params.steps.map((n) => fmt(n)).join(" and ")} steps)\n`,
    growthTable(r),
    "\nstored bytes = `store.storage(thread).bytes`; written = JSON length of each step's `metadata.writes`, summed; " +
      "backend grew by = backends.ts's size (SQLite: file + WAL after a checkpoint) over the thread's run.",
    ...Object.entries(r.backends).flatMap(([k, b]) => [
      ...(b.note ? [`- ${k}: ${b.note}`] : []),
      ...(b.error && b.rows.length ? [`- ${k}: ${b.error.replace(/\s+/g, " ").slice(0, 300)}`] : []),
    ]),
    "\nTargets (medians: latest × 21, loads of 51 random checkpoints, full history × 5; wall ms, and in brackets the CPU ms of this process):\n",
    targetsTable(r),
  ];
  if (r.pipeline) out.push("\nThe dashboard's pipeline graph (lib/graphs/pipeline.ts, stepMs 0):\n", pipelineTable(r.pipeline));
  if (r.peer?.length) {
    out.push(
      "\nBeside LangGraph.js, on the peer harness's own loop (tiny item + ~1 KB `pad` rewritten every step; one repetition each):\n",
      peerTable(r.peer),
      "\nbytes/step: ours `storage(thread).bytes`, the peer's its loop thread's checkpoint rows, blobs and writes; " +
        "backend size/step: what the store holds per step (the peer's includes its 20 steps of one-thread phases).",
    );
    if (r.peerVersions) out.push(`\npeer: ${JSON.stringify(r.peerVersions)}`);
  }
  return out.join("\n");
}
