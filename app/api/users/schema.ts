import { z } from "zod";
import { ROLES } from "@/lib/server/auth/roles";

const Graphs = z.array(z.string().min(1).max(100)).max(100).nullable();

export const CreateUserBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    email: z.email().max(320),
    password: z.string().min(8).max(256),
    role: z.enum(ROLES),
    graphs: Graphs.optional(),
  })
  .strict();

export const UpdateUserBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    role: z.enum(ROLES).optional(),
    graphs: Graphs.optional(),
    disabled: z.boolean().optional(),
    password: z.string().min(8).max(256).optional(),
  })
  .strict();
