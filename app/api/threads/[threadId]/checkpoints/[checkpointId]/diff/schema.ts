import { z } from "zod";

export const DiffQuery = z.object({ against: z.string().min(1).max(200).optional() });
