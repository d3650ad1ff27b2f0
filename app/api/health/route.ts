import { otherMethods } from "@/lib/server/http";
import { health } from "@/lib/server/health";

export const dynamic = "force-dynamic";

/**
 * Liveness plus the store in use, open to anyone (load balancers): 503 `{ ok: false, store, error }` with the
 * store's one-sentence error when it cannot be reached.
 */
export const GET = health;

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
