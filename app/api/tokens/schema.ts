import { z } from "zod";
import { ROLES } from "@/lib/server/auth/roles";

export const CreateTokenBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: z.enum(ROLES),
    graphs: z.array(z.string().min(1).max(100)).max(100).nullable().optional(),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
    /** Admins: the user the token acts for (default: the caller). */
    userId: z.string().min(1).max(100).optional(),
  })
  .strict();

export const ListTokensQuery = z.object({ all: z.enum(["0", "1", "true", "false"]).optional() });
