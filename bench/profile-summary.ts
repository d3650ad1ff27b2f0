/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file, and inclusive
 * (total) time for the project's own files, so "where does the time go" has numbers.
 *
 *   NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/wp-prof" npx tsx bench/run.ts --stores memory --reps 1
 *   npx tsx bench/profile-summary.ts /tmp/wp-prof/<file>.cpuprofile [--top 25]
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
if (!file) throw new Error("usage: profile-summary.ts <file.cpuprofile> [--top N]");
const ti = process.argv.indexOf("--top");
const top = ti > 0 ? Number(process.argv[ti + 1]) : 25;
const prof = JSON.parse(readFileSync(file, "utf8")) as Profile;

const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = prof.endTime - prof.startTime;

const short = (url: string) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/.*\/node_modules\//, "nm:")
    .replace(/^\/work\/main\//, "") || "(native/v8)";
const label = (n: Node) => `${n.callFrame.functionName || "(anonymous)"} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const selfByFn = new Map<string, number>();
const selfByFile = new Map<string, number>();
const inclusiveByFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  add(selfByFn, label(n), us);
  add(selfByFile, short(n.callFrame.url), us);
  // Inclusive per file: count the sample once for every distinct project file on its stack.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = short(byId.get(cur)!.callFrame.url);
    if ((f.startsWith("lib/") || f.startsWith("bench/")) && !seen.has(f)) {
      seen.add(f);
      add(inclusiveByFile, f, us);
    }
  }
}

const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`profile ${file}: ${(total / 1000).toFixed(0)} ms`);
print("self time by function", selfByFn);
print("self time by file", selfByFile);
print("inclusive time by project file", inclusiveByFile);
