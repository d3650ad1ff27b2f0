import { NextResponse, type NextRequest } from "next/server";

/**
 * Pages need a signed-in browser: without a session cookie, go to the sign-in page (and come back after).
 * This only checks that the cookie is there; the API validates it on every request and answers 401, which
 * sends the dashboard to the sign-in page too. API routes, the sign-in and set-up pages and static files pass.
 */
export function proxy(req: NextRequest) {
  const signedIn = req.cookies.getAll().some((c) => c.name.endsWith("waypoint.session_token"));
  if (signedIn) return NextResponse.next();
  const url = req.nextUrl.clone();
  const next = req.nextUrl.pathname + req.nextUrl.search;
  url.pathname = "/signin";
  url.search = next && next !== "/" ? `?next=${encodeURIComponent(next)}` : "";
  return NextResponse.redirect(url);
}

export const config = {
  matcher: ["/((?!api/|_next/|signin|setup|icon.svg|favicon|screenshots/).*)"],
};
