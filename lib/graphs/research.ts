import { z } from "zod";
import { END, START, StateGraph, appendReducer } from "waypoint/engine";
import { defineGraph } from "waypoint/config";
import { hash } from "./util";

/**
 * `research` — parallel fan-out and fan-in: `plan` → three searches in the same super-step → `merge` →
 * `write_report`, with a static interrupt before `write_report` so a human can check the sources first.
 * The search tools are deterministic fakes (same query, same results; no network).
 * `failSearch: "papers"` makes that search fail until the state's `failSearch` is edited.
 */
const SOURCES = ["web", "papers", "code"] as const;
type Source = (typeof SOURCES)[number];
const Question = z.string().trim().min(1).max(500);
const FailSearch = z.enum(SOURCES).nullable();
const input = z.object({ question: Question, failSearch: FailSearch.default(null) }).strict();

const FindingSchema = z.object({ source: z.enum(SOURCES), title: z.string(), score: z.number().min(0).max(1) });
type Finding = z.infer<typeof FindingSchema>;

function fakeSearch(source: Source, query: string): Finding[] {
  const h = hash(`${source}:${query}`);
  return [0, 1].map((i) => ({
    source,
    title: `${source === "web" ? "Article" : source === "papers" ? "Paper" : "Repository"} #${(h >>> (i * 8)) & 0xff}: ${query}`,
    score: (((h >>> (i * 4)) & 0xf) + 1) / 16,
  }));
}

const searchNode = (source: Source) => (s: Record<string, unknown>) => {
  if (s.failSearch === source) throw new Error(`The ${source} search is down (failSearch = "${source}"); set failSearch to null, then retry.`);
  const queries = s.queries as Record<Source, string>;
  return { findings: fakeSearch(source, queries[source]), log: `search_${source}: 2 results` };
};

export const research = defineGraph({
  input,
  interruptBefore: ["write_report"],
  failureHint: 'Start with { "failSearch": "papers" }: that search fails. Edit the state to { "failSearch": null } and Retry.',
  build: () =>
    new StateGraph({
      question: { schema: Question, description: "What to research." },
      failSearch: { default: () => null, schema: FailSearch, description: "A search that fails while set." },
      queries: {
        default: () => ({}),
        schema: z.object({ web: z.string(), papers: z.string(), code: z.string() }).partial(),
        description: "One query per search tool.",
      },
      findings: {
        reducer: appendReducer,
        default: () => [],
        schema: z.array(FindingSchema),
        internal: true,
        description: "Results from all searches (fan-in).",
      },
      sources: { default: () => [], schema: z.array(FindingSchema), description: "Merged, ranked findings." },
      report: { default: () => "", schema: z.string().meta({ format: "textarea" }), description: "The final report." },
      log: { reducer: appendReducer, default: () => [], schema: z.array(z.string()), internal: true },
    })
      .addNode(
        "plan",
        (s) => ({
          queries: { web: `${s.question} overview`, papers: `${s.question} survey`, code: `${s.question} implementation` },
          log: "plan: 3 queries",
        }),
        { description: "Turns the question into one query per tool." },
      )
      .addNode("search_web", searchNode("web"), { description: "Fake web search.", retry: { maxAttempts: 1 } })
      .addNode("search_papers", searchNode("papers"), { description: "Fake paper search.", retry: { maxAttempts: 1 } })
      .addNode("search_code", searchNode("code"), { description: "Fake code search.", retry: { maxAttempts: 1 } })
      .addNode(
        "merge",
        (s) => {
          const ranked = [...(s.findings as Finding[])].sort((a, b) => b.score - a.score || a.title.localeCompare(b.title));
          return { sources: ranked, log: `merge: ${ranked.length} findings ranked` };
        },
        { description: "Fan-in: ranks every finding." },
      )
      .addNode(
        "write_report",
        (s) => {
          const lines = (s.sources as Finding[]).map((f, i) => `${i + 1}. [${f.source}] ${f.title} (${f.score.toFixed(2)})`);
          return { report: `# ${s.question}\n\n${lines.join("\n")}\n`, log: "write_report: done" };
        },
        { description: "Writes the report (a static interrupt stops before it)." },
      )
      .addEdge(START, "plan")
      .addEdge("plan", "search_web")
      .addEdge("plan", "search_papers")
      .addEdge("plan", "search_code")
      .addEdge("search_web", "merge")
      .addEdge("search_papers", "merge")
      .addEdge("search_code", "merge")
      .addEdge("merge", "write_report")
      .addEdge("write_report", END),
});
