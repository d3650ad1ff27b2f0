import { HttpError, errorResponse } from "@/lib/server/http";

export const dynamic = "force-dynamic";

/** Unknown API paths answer JSON, like every other API error. */
const notFound = async (req: Request) => errorResponse(new HttpError(404, "NOT_FOUND", `No API route ${req.method} ${new URL(req.url).pathname}.`));

export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE };
