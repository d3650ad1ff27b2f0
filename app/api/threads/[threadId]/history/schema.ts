import { z } from "zod";

export const HistoryQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(50),
    before: z.string().min(1).max(200).optional(),
    checkpointId: z.string().min(1).max(200).optional(),
    /** `summary`: without state values, for long timelines. */
    fields: z.enum(["full", "summary"]).default("full"),
  });
