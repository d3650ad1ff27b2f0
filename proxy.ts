/**
 * Next.js request proxy (runs before routing) for the API: requests Next's router would answer with an HTML
 * 500 — a path with invalid percent-encoding, a method Next cannot hand to a route handler (TRACE, CONNECT…) —
 * get the API's JSON 4xx error here instead. Everything else passes through untouched.
 */
import { NextResponse, type NextRequest } from "next/server";
import { rejectMalformed } from "./lib/server/guard";

export function proxy(req: NextRequest): NextResponse {
  return rejectMalformed(req.method, req.url) ?? NextResponse.next();
}

export const config = { matcher: "/api/:path*" };
