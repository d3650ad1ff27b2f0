import "server-only";
import { WaypointError } from "../../errors";
import { selfOrigin } from "./auth";
import type { Principal } from "./principal";

/**
 * Cross-site request checks for every mutating API request (POST, PUT, PATCH, DELETE).
 *
 * - A body must be JSON (`application/json` or `+json`): an HTML form or a `text/plain` fetch cannot make one
 *   without a CORS preflight, which this API never grants. 415 otherwise.
 * - A request authenticated by the session cookie must come from this origin: `Sec-Fetch-Site` same-origin
 *   (or none: typed in the address bar), else an `Origin` equal to the server's own. 403 otherwise.
 *   Bearer tokens are not sent by browsers on their own, so a request carrying one needs no origin check.
 * The session cookie is also SameSite=Lax, so most cross-site requests never carry it in the first place.
 */
export const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function checkContentType(req: Request): void {
  if (!MUTATING.has(req.method)) return;
  const type = req.headers.get("content-type");
  const length = req.headers.get("content-length");
  const hasBody = type !== null || (length !== null && length !== "0") || req.headers.has("transfer-encoding");
  if (!hasBody) return;
  const mime = (type ?? "").split(";")[0].trim().toLowerCase();
  if (mime === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mime)) return;
  throw new WaypointError(
    "UNSUPPORTED_MEDIA_TYPE",
    `Request bodies must be JSON (Content-Type: application/json); got ${JSON.stringify(type ?? "none")}.`,
  );
}

export function checkOrigin(req: Request, p: Principal): void {
  if (!MUTATING.has(req.method) || p.via !== "session") return;
  const site = req.headers.get("sec-fetch-site");
  if (site === "same-origin" || site === "none") return;
  const origin = req.headers.get("origin");
  if (site === null && origin === null) return; // not a browser (no browser omits both on a mutating request)
  if (origin !== null && origin === selfOrigin(req)) return;
  throw new WaypointError("CROSS_SITE", "Refused a cross-site request: changes can only be made from Waypoint's own pages or with an API token.");
}
