import { z } from "zod";
import { END, START, StateGraph, appendReducer, interrupt } from "waypoint/engine";
import { defineGraph, type GraphSpec } from "waypoint/config";

/**
 * `approval` — content approval with a human in the loop: `draft` writes a draft from the topic, `review`
 * stops with `interrupt()` until a reviewer answers `{ action: "approve" | "reject" | "edit", ... }`;
 * reject goes to `revise` (which records the feedback) and back to `draft`; approve and edit go to `publish`.
 */
export const Decision = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("approve").meta({ title: "Approve" }),
    comment: z.string().max(5000).optional().meta({ title: "Comment" }),
    // Added by the server when a two-person quorum completes (approval-2p); readOnly: no form asks for it.
    approvedBy: z.array(z.string()).optional().meta({ readOnly: true }),
  }),
  z.object({
    action: z.literal("reject").meta({ title: "Reject", tone: "danger" }),
    feedback: z
      .string()
      .trim()
      .min(1, { error: "Say what should change." })
      .max(5000)
      .meta({ title: "Reason for rejecting", description: "What should change?" }),
  }),
  z.object({
    action: z.literal("edit").meta({ title: "Edit the draft" }),
    draft: z.string().min(1).max(100_000).meta({ title: "Draft", format: "textarea" }),
    comment: z.string().max(5000).optional().meta({ title: "Comment" }),
  }),
]);
export type Decision = z.infer<typeof Decision>;

const Topic = z.string().trim().min(1).max(500);
const input = z.object({ topic: Topic, failDraft: z.boolean().default(false) }).strict();

export const approval = defineGraph(approvalGraph());

/**
 * `approval-2p` — the same graph under two-person approval: two different reviewers must approve the draft,
 * and the person who started the thread (or caused the draft under review) cannot be one of them.
 */
export const approvalTwoPerson = defineGraph({
  quorum: { review: { approvals: 2, excludeInitiator: true } },
  ...approvalGraph(),
});

function approvalGraph(): GraphSpec {
  return {
    input,
    failureHint: 'Start with { "failDraft": true }: the draft step fails. Edit the state to { "failDraft": false } and Retry.',
    build: () =>
      new StateGraph({
        topic: { schema: Topic, description: "What to write about." },
        failDraft: { default: () => false, schema: z.boolean(), description: "Makes `draft` fail while true." },
        draft: { default: () => "", schema: z.string().meta({ format: "textarea" }), description: "The current draft." },
        feedback: {
          reducer: appendReducer,
          default: () => [],
          schema: z.array(z.string()),
          description: "Reviewer feedback, one entry per rejection.",
        },
        decision: { default: () => null, schema: Decision.nullable(), internal: true, description: "The reviewer's last answer." },
        revisions: { default: () => 0, schema: z.number().int().min(0), description: "How many rejections." },
        published: { default: () => false, schema: z.boolean() },
        log: {
          reducer: appendReducer,
          default: () => [],
          schema: z.array(z.string()),
          internal: true,
          description: "Append-only history of what happened.",
        },
      })
        .addNode(
          "draft",
          (s) => {
            if (s.failDraft) throw new Error("The draft writer is down (failDraft is true); set failDraft to false, then retry.");
            const feedback = s.feedback as string[];
            const n = (s.revisions as number) + 1;
            const last = feedback.length ? ` Revised for: "${feedback[feedback.length - 1]}".` : "";
            const draft = `# ${s.topic}\n\nDraft ${n}: a short piece about ${s.topic}.${last}`;
            return { draft, log: `draft: wrote version ${n}` };
          },
          { description: "Writes a draft from the topic (and the last feedback).", retry: { maxAttempts: 1 } },
        )
        .addNode(
          "review",
          (s) => {
            // Each interrupt() call is answered by one resume value, in order: an invalid answer asks again.
            let problem: string | undefined;
            for (;;) {
              const answer = interrupt({
                question: "Approve, reject (with feedback) or edit this draft?",
                draft: s.draft,
                revision: (s.revisions as number) + 1,
                ...(problem ? { problem } : {}),
              });
              const parsed = Decision.safeParse(answer);
              if (parsed.success) {
                const d = parsed.data;
                return d.action === "edit"
                  ? { decision: d, draft: d.draft, log: "review: edited by reviewer" }
                  : { decision: d, log: `review: ${d.action}` };
              }
              problem = `Invalid answer: ${parsed.error.issues[0]?.message ?? "unknown"}. Send { "action": "approve" | "reject" | "edit", ... }.`;
            }
          },
          { description: "Waits for a human decision (dynamic interrupt).", resume: Decision },
        )
        .addNode(
          "revise",
          (s) => {
            const d = s.decision as Decision;
            const note = d.action === "reject" && d.feedback ? d.feedback : "(no feedback)";
            return { feedback: note, revisions: (s.revisions as number) + 1, log: `revise: ${note}` };
          },
          { description: "Records the feedback and counts the revision." },
        )
        .addNode("publish", (s) => ({ published: true, log: `publish: revision ${(s.revisions as number) + 1} published` }), {
          description: "Publishes the approved draft.",
        })
        .addEdge(START, "draft")
        .addEdge("draft", "review")
        .addConditionalEdges("review", (s) => ((s.decision as Decision | null)?.action === "reject" ? "reject" : "approve / edit"), {
          "approve / edit": "publish",
          reject: "revise",
        })
        .addEdge("revise", "draft")
        .addEdge("publish", END),
  };
}
