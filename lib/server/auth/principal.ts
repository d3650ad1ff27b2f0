import "server-only";
import { timingSafeEqual } from "node:crypto";
import { WaypointError } from "../../errors";
import type { Auth } from "./auth";
import type { AccountsDb } from "./db";
import { ACTION_WORDS, can, intersectGraphs, isRole, minRole, parseGraphs, roleFor, type Action, type Role, type TokenScope } from "../../auth/roles";
import type { TokenService } from "./tokens";

/**
 * Who is calling: a signed-in user (session cookie), an API token, or the operator's `WAYPOINT_ADMIN_TOKEN`.
 * The name recorded on checkpoints and audit entries comes from here, never from a request body.
 */
export interface Principal {
  kind: "user" | "token" | "admin-token";
  /** The person, for records and for "distinct reviewers": `user:<id>` (also for their tokens) or `admin-token`. */
  actorId: string;
  /** Set when the call came with one of the user's API tokens. */
  tokenId?: string;
  /** The person behind it (the token's owner); null for the admin token. */
  userId: string | null;
  name: string;
  email: string | null;
  role: Role;
  /** Graphs this principal may touch; null = every graph. */
  graphs: string[] | null;
  /** "metrics": an API token that may only read GET /api/metrics (route.ts refuses it everywhere else). */
  scope: TokenScope;
  via: "session" | "bearer";
}

export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** `WAYPOINT_ADMIN_TOKEN`, checked once: refused (a configuration error) when shorter than 32 characters. */
export function adminTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  const t = env.WAYPOINT_ADMIN_TOKEN?.trim();
  if (!t) return null;
  if (t.length < MIN_ADMIN_TOKEN_LENGTH)
    throw new WaypointError(
      "STORE_CONFIG",
      `WAYPOINT_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (it has ${t.length}); generate one with \`openssl rand -base64 32\`.`,
    );
  return t;
}

interface UserRow {
  id: string;
  name: string;
  email: string;
  role: string;
  graphs: string | null;
  disabled: boolean;
}

const USER_CACHE_MS = 5_000;
/**
 * A verified session cookie is trusted in process for this long, so a request costs a map look-up instead of
 * Better Auth's cookie verification (and, once its 30 s cookie cache is stale, a database read): measured at
 * 0.6–1.5 ms per request without it (docs/benchmarks.md). Sign-out and disabling a user apply at once here.
 */
const SESSION_CACHE_MS = 5_000;
/** How long Better Auth trusts its signed session cookie cache without the database (auth.ts, cookieCache.maxAge). */
const SESSION_COOKIE_CACHE_MS = 30_000;

export class Authenticator {
  private readonly users = new Map<string, { row: UserRow | null; until: number }>();
  private readonly endedSessions = new Map<string, number>();
  private readonly sessions = new Map<string, { userId: string; token: string; until: number }>();
  private readonly adminToken: Buffer | null;

  constructor(
    private readonly db: AccountsDb,
    private readonly auth: Auth,
    private readonly tokens: TokenService,
    adminToken: string | null,
  ) {
    this.adminToken = adminToken ? Buffer.from(adminToken) : null;
  }

  /** Forget a user's cached record (after a role change or disabling), so this server applies it at once. */
  forgetUser(userId: string) {
    this.users.delete(userId);
  }

  /**
   * A session that ended here (sign-out): its row is gone, but Better Auth would still accept the signed cookie
   * cache for up to 30 s, so a copied cookie would keep working. This server refuses it at once.
   */
  forgetSession(token: string) {
    const now = Date.now();
    for (const [t, until] of this.endedSessions) if (until <= now) this.endedSessions.delete(t);
    this.endedSessions.set(token, now + SESSION_COOKIE_CACHE_MS);
    for (const [cookie, s] of this.sessions) if (s.token === token) this.sessions.delete(cookie);
  }

  private sessionEnded(token: string | undefined): boolean {
    const until = token === undefined ? undefined : this.endedSessions.get(token);
    return until !== undefined && until > Date.now();
  }

  /** The caller, or UNAUTHENTICATED. A presented but invalid token is refused even when a session cookie is also sent. */
  async authenticate(req: Request): Promise<Principal> {
    const bearer = bearerOf(req);
    if (bearer !== null) return this.fromBearer(bearer);
    const userId = await this.sessionUser(req);
    if (userId) {
      const row = await this.user(userId);
      if (row && !row.disabled) return userPrincipal(row);
    }
    throw new WaypointError("UNAUTHENTICATED", "Sign in first, or send an API token as `Authorization: Bearer <token>`.");
  }

  /** The signed-in user behind the request's session cookie, or null. */
  private async sessionUser(req: Request): Promise<string | null> {
    const cookie = sessionCookie(req);
    if (!cookie) return null;
    const now = Date.now();
    const hit = this.sessions.get(cookie);
    if (hit && hit.until > now && !this.sessionEnded(hit.token)) return hit.userId;
    const session = await this.auth.api.getSession({ headers: req.headers }).catch(() => null);
    if (!session?.user || this.sessionEnded(session.session?.token)) {
      this.sessions.delete(cookie);
      return null;
    }
    if (this.sessions.size > 10_000) this.sessions.clear(); // bounded: a flood of cookies cannot grow it
    this.sessions.set(cookie, { userId: session.user.id, token: session.session.token, until: now + SESSION_CACHE_MS });
    return session.user.id;
  }

  private async fromBearer(secret: string): Promise<Principal> {
    if (this.adminToken && safeEqual(Buffer.from(secret), this.adminToken)) {
      return {
        kind: "admin-token",
        actorId: "admin-token",
        userId: null,
        name: "admin token",
        email: null,
        role: "admin",
        graphs: null,
        scope: "all",
        via: "bearer",
      };
    }
    const rec = await this.tokens.verify(secret);
    const owner = rec ? await this.user(rec.userId) : null;
    if (!rec || !owner || owner.disabled)
      throw new WaypointError("UNAUTHENTICATED", "The API token is not valid: unknown, revoked, expired, or its owner is disabled.");
    const ownerP = userPrincipal(owner);
    return {
      kind: "token",
      actorId: `user:${owner.id}`,
      tokenId: rec.id,
      userId: owner.id,
      name: `${owner.name} (token ${rec.name})`,
      email: owner.email,
      role: minRole(rec.role, ownerP.role),
      graphs: intersectGraphs(rec.graphs, ownerP.graphs),
      scope: rec.scope,
      via: "bearer",
    };
  }

  private async user(id: string): Promise<UserRow | null> {
    const now = Date.now();
    const hit = this.users.get(id);
    if (hit && hit.until > now) return hit.row;
    const row = await this.db.prisma.user.findUnique({
      where: { id },
      select: { id: true, name: true, email: true, role: true, graphs: true, disabled: true },
    });
    this.users.set(id, { row, until: now + USER_CACHE_MS });
    return row;
  }
}

function userPrincipal(u: UserRow): Principal {
  return {
    kind: "user",
    actorId: `user:${u.id}`,
    userId: u.id,
    name: u.name || u.email,
    email: u.email,
    role: isRole(u.role) ? u.role : "viewer",
    graphs: parseGraphs(u.graphs),
    scope: "all",
    via: "session",
  };
}

/** The session cookie's value (`waypoint.session_token`, `__Secure-` prefixed over HTTPS), or null. */
function sessionCookie(req: Request): string | null {
  const header = req.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim().endsWith("waypoint.session_token")) return part.slice(i + 1).trim() || null;
  }
  return null;
}

function bearerOf(req: Request): string | null {
  const h = req.headers.get("authorization");
  if (h) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) throw new WaypointError("UNAUTHENTICATED", "The Authorization header must be `Bearer <token>`.");
    return m[1];
  }
  const key = req.headers.get("x-api-key");
  return key ? key.trim() : null;
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function mayTouchGraph(p: Principal, graphId: string | null): boolean {
  return p.graphs === null || (graphId !== null && p.graphs.includes(graphId));
}

export function allows(p: Principal, action: Action, graphId?: string | null): boolean {
  return can(p.role, action) && (graphId === undefined || mayTouchGraph(p, graphId));
}

/** Throws FORBIDDEN (403) with a message that says what is missing. */
export function authorize(p: Principal, action: Action, graphId?: string | null): void {
  if (!can(p.role, action)) {
    const need = roleFor(action);
    throw new WaypointError("FORBIDDEN", `Your role (${p.role}) may not ${ACTION_WORDS[action]}; that needs the ${need} role.`, {
      action,
      role: p.role,
      requiredRole: need,
    });
  }
  if (graphId !== undefined && !mayTouchGraph(p, graphId)) {
    throw new WaypointError(
      "FORBIDDEN",
      `You are limited to the graphs ${p.graphs!.join(", ") || "(none)"}; this thread belongs to graph "${graphId ?? "unknown"}".`,
      {
        action,
        role: p.role,
      },
    );
  }
}
