/**
 * Small statistics and formatting helpers for the benchmark. Percentiles use the same nearest-rank rule as
 * the LangGraph.js peer harness (../shared/peer-bench/bench.mjs), so p50/p99 mean the same thing on both sides.
 */

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Nearest-rank percentile (p in 0..100). */
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

export const log = (...a: unknown[]): void => {
  console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
};

/** Fixed decimals with thousands separators: fmt(12345.6, 0) = "12,346". */
export const fmt = (x: number | undefined, digits = 0): string =>
  x === undefined || !Number.isFinite(x) ? "—" : x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** "2.3×" style ratio, or "—" when either side is missing. */
export const ratio = (x: number | undefined, y: number | undefined): string =>
  x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y) || y === 0
    ? "—"
    : `${(x / y).toFixed(x / y >= 10 ? 0 : x / y >= 1 ? 2 : 2)}×`;

export const markdownTable = (rows: string[][]): string => {
  const [head, ...body] = rows;
  const line = (r: string[]) => `| ${r.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...body.map(line)].join("\n");
};
