import { handle } from "@/lib/server/http";
import { authHandler } from "@/lib/server/auth/handler";

export const dynamic = "force-dynamic";

/** Better Auth's endpoints (sign-in, sign-out, session, SSO callback), with sign-ins recorded in the audit trail. */
const h = handle(authHandler);
export { h as GET, h as POST };
