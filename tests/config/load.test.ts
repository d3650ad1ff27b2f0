/**
 * The graph config loader (lib/config/load.ts) on real files: the default config, a project's config with its
 * graph in a graphs/ folder outside lib/, and every refusal sentence — each written to a temp folder as a
 * user would write it, loaded through jiti as the server loads it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "@/lib/checkpoint/memory";
import { loadGraphConfig } from "@/lib/config/load";
import { StateGraph } from "@/lib/engine";
import { isStoreConfigError, isWaypointError } from "@/lib/errors";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PROJECT = path.join(ROOT, "tests/fixtures/project");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "waypoint-config-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let seq = 0;
/** Writes files into a fresh folder and returns the WAYPOINT_CONFIG environment naming its config. */
function project(files: Record<string, string>): { env: Record<string, string>; dir: string; config: string } {
  const dir = path.join(tmp, `p${++seq}`);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const config = path.join(dir, "waypoint.config.ts");
  return { env: { WAYPOINT_CONFIG: config }, dir, config };
}

const entry = (fields: Record<string, unknown>) => JSON.stringify({ id: "hello", title: "Hello", module: "./graphs/hello.ts", ...fields });
const configOf = (...entries: string[]) =>
  `import { defineConfig } from "waypoint/config";\nexport default defineConfig({ graphs: [${entries.join(", ")}] });\n`;
const HELLO = `import { END, START, StateGraph } from "waypoint/engine";
import { defineGraph } from "waypoint/config";
export default defineGraph({
  build: () => new StateGraph({ name: {}, greeting: { default: () => "" } }).addNode("greet", (s) => ({ greeting: "Hello " + s.name })).addEdge(START, "greet").addEdge("greet", END),
});
`;

/** The sentence a refused load gives (and that it is the "cannot start" kind the server prints alone). */
async function refusal(env: Record<string, string>): Promise<string> {
  const err = await loadGraphConfig({ env, cwd: ROOT }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, "the config should have been refused").not.toBeNull();
  expect(isStoreConfigError(err)).toBe(true);
  return (err as Error).message;
}

describe("graph config: what loads", () => {
  it("the default waypoint.config.ts registers the demo graphs, in order, with their modules' behaviour", async () => {
    const { file, graphs } = await loadGraphConfig({ env: {}, cwd: ROOT });
    expect(file).toBe(path.join(ROOT, "waypoint.config.ts"));
    expect(graphs.map((g) => g.id)).toEqual(["approval", "approval-2p", "research", "pipeline", "vendor", "chat", "expense"]);
    expect(graphs.map((g) => g.kind)).toEqual(["waypoint", "waypoint", "waypoint", "waypoint", "waypoint", "waypoint", "langgraph"]);
    const twoPerson = graphs.find((g) => g.id === "approval-2p")!;
    expect(twoPerson.quorum?.review).toMatchObject({ approvals: 2, excludeInitiator: true });
    expect(graphs.find((g) => g.id === "research")!.interruptBefore).toEqual(["write_report"]);
    expect(twoPerson.input.safeParse({ topic: "" }).success).toBe(false);
  });

  it("a project's config registers a graph from its own graphs/ folder, outside lib/", async () => {
    const { file, graphs } = await loadGraphConfig({ env: { WAYPOINT_CONFIG: "tests/fixtures/project/waypoint.config.ts" }, cwd: ROOT });
    expect(file).toBe(path.join(PROJECT, "waypoint.config.ts"));
    expect(graphs).toHaveLength(1);
    const [refund] = graphs;
    expect(refund).toMatchObject({ id: "refund", title: "Refund request", exampleInput: { order: "A-1001", amount: 250 } });
    expect(refund.input.safeParse({ order: "A-1", amount: -5 }).success).toBe(false);
    expect(refund.failureHint).toMatch(/FAIL/);
    // Imported through "waypoint/engine", the graph is built by the loader's own engine, not a second copy.
    expect(refund.build()).toBeInstanceOf(StateGraph);
  });

  it("fills the optional fields: description, exampleInput, export default, and an any-object input", async () => {
    const p = project({
      "waypoint.config.ts": configOf(JSON.stringify({ id: "hello", title: "Hello", module: "./graphs/hello.ts" })),
      "graphs/hello.ts": HELLO,
    });
    const [hello] = (await loadGraphConfig({ env: p.env, cwd: ROOT })).graphs;
    expect(hello).toMatchObject({ id: "hello", title: "Hello", description: "", exampleInput: {}, failureHint: "" });
    expect(hello.input.safeParse({ name: "Ada" }).success).toBe(true);
    expect(hello.input.safeParse("Ada").success).toBe(false);
  });
});

/** A LangGraph.js graph module as a user writes it: the StateGraph builder and its compiled graph. */
const LANGGRAPH = `import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
const S = Annotation.Root({ name: Annotation<string>, greeting: Annotation<string> });
export const builder = new StateGraph(S).addNode("greet", (s) => ({ greeting: "Hello " + s.name })).addEdge(START, "greet").addEdge("greet", END);
export const compiled = builder.compile({ interruptBefore: ["greet"] });
`;

describe("graph config: LangGraph.js graphs", () => {
  it("a compiled graph or a StateGraph is recognised without `kind`; its static interrupts are kept", async () => {
    const p = project({
      "waypoint.config.ts": configOf(entry({ export: "compiled" }), entry({ id: "hello2", export: "builder" })),
      "graphs/hello.ts": LANGGRAPH,
    });
    const [compiled, builder] = (await loadGraphConfig({ env: p.env, cwd: ROOT })).graphs;
    expect(compiled).toMatchObject({ id: "hello", kind: "langgraph" });
    expect((compiled.langgraph as { interruptBefore?: string[] }).interruptBefore).toEqual(["greet"]);
    expect(builder).toMatchObject({ id: "hello2", kind: "langgraph" });
    expect(typeof (builder.langgraph as { getState?: unknown }).getState).toBe("function");
    expect(() => compiled.build()).toThrow(/LangGraph\.js graph/);
  });

  it('kind "langgraph" on an export that is not one is refused in one sentence', async () => {
    const p = project({ "waypoint.config.ts": configOf(entry({ kind: "langgraph" })), "graphs/hello.ts": HELLO });
    expect(await refusal(p.env)).toBe(
      `Graph config ${p.config}, graphs[0] ("hello"): export "default" of "./graphs/hello.ts" is not a LangGraph.js graph; export a \`StateGraph\` or its \`.compile()\` result.`,
    );
  });
});

describe("graph config: a module importing the engine by path (a second copy of it)", () => {
  it("still runs to its interrupt and on, and its errors are recognised by the server's guards", async () => {
    const engine = JSON.stringify(path.join(ROOT, "lib/engine/index.ts"));
    const graph = `import { END, START, StateGraph, interrupt } from ${engine};
export default { build: () => new StateGraph({ answer: { default: () => null } })
  .addNode("ask", () => ({ answer: interrupt({ question: "Go?" }) })).addEdge(START, "ask").addEdge("ask", END) };
`;
    const p = project({ "waypoint.config.ts": configOf(entry({})), "graphs/hello.ts": graph });
    const [def] = (await loadGraphConfig({ env: p.env, cwd: ROOT })).graphs;
    const built = def.build();
    expect(built).not.toBeInstanceOf(StateGraph); // the premise: not this test's copy of the engine
    const app = built.compile({ store: await createMemoryStore(), graphId: "hello" });
    const paused = await app.invoke({}, { threadId: "t1" });
    expect(paused.status).toBe("interrupted");
    expect(paused.interrupts[0].value).toEqual({ question: "Go?" });
    const done = await app.invoke(null, { threadId: "t1", command: { resume: "yes" } });
    expect(done).toMatchObject({ status: "done", values: { answer: "yes" } });
    const err = await app.invoke(null, { threadId: "t1", checkpointId: "no-such-checkpoint" }).catch((e: unknown) => e);
    expect(isWaypointError(err, "CHECKPOINT_NOT_FOUND")).toBe(true);
  });
});

describe("graph config: each refusal is one sentence naming the file and the entry", () => {
  it("no config file", async () => {
    const missing = path.join(tmp, "nowhere", "waypoint.config.ts");
    expect(await refusal({ WAYPOINT_CONFIG: missing })).toBe(
      `Graph config ${missing} (named by WAYPOINT_CONFIG) was not found; it lists the graphs the server runs (see "Add your own graph" in README.md).`,
    );
  });

  it("a config that does not parse", async () => {
    const p = project({ "waypoint.config.ts": "export default { graphs: [ \n" });
    expect(await refusal(p.env)).toMatch(new RegExp(`^Graph config ${p.config} could not be loaded: .+\\.$`));
  });

  it("a config without graphs", async () => {
    const p = project({ "waypoint.config.ts": configOf() });
    expect(await refusal(p.env)).toBe(`Graph config ${p.config}: graphs must list at least one graph.`);
  });

  it("a missing title", async () => {
    const p = project({ "waypoint.config.ts": configOf(entry({ title: undefined })), "graphs/hello.ts": HELLO });
    expect(await refusal(p.env)).toBe(`Graph config ${p.config}, graphs[0] ("hello"): title is required.`);
  });

  it("an id with bad characters", async () => {
    const p = project({ "waypoint.config.ts": configOf(entry({ id: "my graph" })), "graphs/hello.ts": HELLO });
    expect(await refusal(p.env)).toBe(
      `Graph config ${p.config}, graphs[0] ("my graph"): id must be 1-64 letters, digits, "-" or "_", starting with a letter or digit.`,
    );
  });

  it("a misspelt field", async () => {
    const p = project({ "waypoint.config.ts": configOf(entry({ exampleinput: {} })), "graphs/hello.ts": HELLO });
    expect(await refusal(p.env)).toBe(`Graph config ${p.config}, graphs[0] ("hello"): Unrecognized key: "exampleinput".`);
  });

  it("a duplicate id", async () => {
    const p = project({ "waypoint.config.ts": configOf(entry({}), entry({ id: "other" }), entry({})), "graphs/hello.ts": HELLO });
    expect(await refusal(p.env)).toBe(
      `Graph config ${p.config}, graphs[2] ("hello"): the id "hello" is already used by graphs[0]; each graph needs its own id.`,
    );
  });

  it("a missing module", async () => {
    const p = project({ "waypoint.config.ts": configOf(entry({ module: "./graphs/helo.ts" })), "graphs/hello.ts": HELLO });
    expect(await refusal(p.env)).toBe(
      `Graph config ${p.config}, graphs[0] ("hello"): module "./graphs/helo.ts" was not found (looked from ${p.dir}).`,
    );
  });

  it("a module that fails while loading", async () => {
    const p = project({ "waypoint.config.ts": configOf(entry({})), "graphs/hello.ts": 'throw new Error("No API key set.");\n' });
    expect(await refusal(p.env)).toBe(`Graph config ${p.config}, graphs[0] ("hello"): module "./graphs/hello.ts" failed to load: No API key set.`);
  });

  it("a module without the named export", async () => {
    const p = project({ "waypoint.config.ts": configOf(entry({ export: "hello" })), "graphs/hello.ts": HELLO });
    expect(await refusal(p.env)).toBe(
      `Graph config ${p.config}, graphs[0] ("hello"): module "./graphs/hello.ts" has no export "hello" (it exports: default).`,
    );
  });

  it("an export that is not a graph", async () => {
    const p = project({ "waypoint.config.ts": configOf(entry({ export: "greeting" })), "graphs/hello.ts": 'export const greeting = "hi";\n' });
    expect(await refusal(p.env)).toBe(
      `Graph config ${p.config}, graphs[0] ("hello"): export "greeting" of "./graphs/hello.ts" is not a graph; export \`defineGraph({ build: () => new StateGraph(...) })\` (from "waypoint/config").`,
    );
  });

  it("a graph that does not compile", async () => {
    const broken = HELLO.replace('.addEdge("greet", END)', '.addEdge("greet", "wave")');
    const p = project({ "waypoint.config.ts": configOf(entry({})), "graphs/hello.ts": broken });
    expect(await refusal(p.env)).toBe(
      `Graph config ${p.config}, graphs[0] ("hello"): its graph is invalid: Edge from "greet" to unknown node "wave".`,
    );
  });
});

describe("README", () => {
  it('shows the project fixture\'s graph and config entry verbatim under "Add your own graph"', () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const at = readme.indexOf("## Add your own graph");
    expect(at).toBeGreaterThan(0);
    const section = readme.slice(at);
    expect(section).toContain(fs.readFileSync(path.join(PROJECT, "graphs/refund.ts"), "utf8"));
    expect(section).toContain(fs.readFileSync(path.join(PROJECT, "waypoint.config.ts"), "utf8"));
  });
});
