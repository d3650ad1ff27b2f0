import { z } from "zod";

export const SetupBody = z
  .object({
    token: z.string().min(10).max(200),
    name: z.string().trim().min(1).max(200),
    email: z.email().max(320),
    password: z.string().min(8).max(256),
  })
  .strict();
