import { z } from "zod";
import { END, START, StateGraph, appendReducer } from "waypoint/engine";
import { defineGraph } from "waypoint/config";
import { sleep } from "./util";

/**
 * `pipeline` — a long job for watching progress and for crash/resume: `prepare`, then `work` once per step
 * (one checkpoint each), then `finish`. `completed` records each step number once, so a resumed run that
 * recorded a step twice is visible. `failAt: n` makes step n fail (each of its 3 tries) until the state's
 * `failAt` is edited; `slowAt: n` makes step n take ten times `stepMs` (a slow step to spot in the timeline).
 */
const Steps = z.number().int().min(1).max(10_000);
const StepMs = z.number().int().min(0).max(60_000);
const FailAt = z.number().int().min(1).nullable();

const input = z
  .object({
    steps: Steps.default(5),
    stepMs: StepMs.default(500),
    failAt: FailAt.default(null),
    slowAt: FailAt.default(null),
    label: z.string().max(200).optional(),
  })
  .strict();

export const pipeline = defineGraph({
  input,
  failureHint: 'Start with { "failAt": 3 }: step 3 fails. Edit the state to { "failAt": null } and Retry.',
  progress: { done: "current", total: "steps" },
  // prepare + up to 10,000 work steps + finish must fit in one run.
  recursionLimit: 10_100,
  build: () =>
    new StateGraph({
      label: { default: () => "pipeline", schema: z.string().max(200), description: "Free-form name of the job." },
      steps: { default: () => 5, schema: Steps, description: "How many work steps." },
      stepMs: { default: () => 500, schema: StepMs, description: "Milliseconds per step." },
      failAt: { default: () => null, schema: FailAt, description: "Step that fails while set." },
      slowAt: { default: () => null, schema: FailAt, description: "Step that takes ten times as long." },
      current: { default: () => 0, schema: z.number().int().min(0), description: "Last finished step." },
      completed: { reducer: appendReducer, default: () => [], schema: z.array(z.number().int()), description: "Step numbers, each recorded once." },
      status: { default: () => "pending", schema: z.enum(["pending", "working", "finished"]), description: "pending | working | finished" },
      log: { reducer: appendReducer, default: () => [], schema: z.array(z.string()), internal: true },
    })
      .addNode("prepare", (s) => ({ status: "working", current: 0, log: `prepare: ${s.steps} steps of ${s.stepMs} ms` }), {
        description: "Sets the job up.",
      })
      .addNode(
        "work",
        async (s, ctx) => {
          const n = (s.current as number) + 1;
          if (s.failAt === n) throw new Error(`Step ${n} failed on purpose (failAt = ${n}); set failAt to null in the state, then retry.`);
          await sleep((s.stepMs as number) * (s.slowAt === n ? 10 : 1), ctx.signal);
          return { current: n, completed: n, log: `work: step ${n}/${s.steps} done` };
        },
        // Retried (a failing step shows its three tries in the history); a cancel stops the retries.
        { description: "One unit of work; loops until all steps are done.", retry: { maxAttempts: 3, initialDelayMs: 20 } },
      )
      .addNode("finish", (s) => ({ status: "finished", log: `finish: ${(s.completed as number[]).length} steps` }), {
        description: "Wraps up.",
      })
      .addEdge(START, "prepare")
      .addEdge("prepare", "work")
      .addConditionalEdges("work", (s) => ((s.current as number) < (s.steps as number) ? "more" : "done"), {
        more: "work",
        done: "finish",
      })
      .addEdge("finish", END),
});
