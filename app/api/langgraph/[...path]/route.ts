import { lgEntry, lgPreflight } from "@/lib/server/langgraph/http";
import { resolve } from "@/lib/server/langgraph/router";

export const dynamic = "force-dynamic";

/**
 * The LangGraph server protocol under /api/langgraph, for `new Client({ apiUrl: "http://host:3000/api/langgraph" })`,
 * `useStream` and agent-chat-ui. One catch-all: the endpoint table is lib/server/langgraph/router.ts, so CORS,
 * the error shape and authentication are applied in one place (lib/server/langgraph/http.ts).
 */
const handler = lgEntry(resolve);

export { handler as GET, handler as POST, handler as PUT, handler as PATCH, handler as DELETE };
export const OPTIONS = lgPreflight;
