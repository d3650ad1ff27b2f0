import { z } from "zod";

const JsonObject = z.record(z.string(), z.unknown());
const NodeList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const RunBody = z
  .object({
    input: JsonObject.optional(),
    checkpointId: z.string().min(1).max(200).optional(),
    command: z
      .object({ resume: z.unknown().optional(), update: JsonObject.optional(), goto: NodeList.optional() })
      .strict()
      .optional(),
    wait: z.boolean().optional(),
    /** The head checkpoint the caller decided on: 409 STALE_CHECKPOINT when the thread has moved on since. */
    expectedCheckpointId: z.string().min(1).max(200).optional(),
    /** Why (shown in the timeline and the audit trail); defaults to the decision's comment or feedback. */
    reason: z.string().max(2000).optional(),
  })
  .strict()
  .refine((b) => !(b.input && b.command), { message: "give either an input (a new run) or a command (to continue), not both" });
