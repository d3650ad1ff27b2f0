import { z } from "zod";

const When = z.string().max(40).refine((s) => !Number.isNaN(Date.parse(s)), { message: "expected an ISO date or time" });

export const AuditFilter = z.object({
  actorId: z.string().min(1).max(200).optional(),
  threadId: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(50).optional(),
  from: When.optional(),
  to: When.optional(),
});

export const AuditQuery = AuditFilter.extend({
  cursor: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
