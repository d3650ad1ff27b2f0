import { z } from "zod";

const JsonObject = z.record(z.string(), z.unknown());

export const CreateThreadBody = z
  .object({
    graphId: z.string().min(1).max(100),
    input: JsonObject.optional(),
    metadata: JsonObject.optional(),
  })
  .strict();

export const ListThreadsQuery = z
  .object({
    status: z.enum(["idle", "running", "interrupted", "done", "error"]).optional(),
    graphId: z.string().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().min(1).max(1000).optional(),
  });
