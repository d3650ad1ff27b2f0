import { z } from "zod";

export const StateQuery = z.object({ checkpointId: z.string().min(1).max(200).optional() });

export const EditStateBody = z
  .object({
    values: z.record(z.string(), z.unknown()),
    asNode: z.string().min(1).max(100).optional(),
    checkpointId: z.string().min(1).max(200).optional(),
    reason: z.string().max(2000).optional(),
    /** The head the editor was looking at: 409 STALE_CHECKPOINT when the thread has moved on since. */
    expectedCheckpointId: z.string().min(1).max(200).optional(),
  })
  .strict();
