import { z } from "zod";

export const ForkBody = z
  .object({
    checkpointId: z.string().min(1).max(200),
    values: z.record(z.string(), z.unknown()).optional(),
    asNode: z.string().min(1).max(100).optional(),
    /** true: copy into a new thread with a generated id; a string: that id; absent/false: a branch in place. */
    newThread: z.union([z.boolean(), z.string().min(1).max(128)]).optional(),
    reason: z.string().max(2000).optional(),
  })
  .strict();
