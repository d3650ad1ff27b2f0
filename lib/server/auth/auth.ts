import "server-only";
import { randomBytes } from "node:crypto";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { genericOAuth } from "better-auth/plugins";
import type { AccountsDb } from "./db";
import { DEFAULT_ROLE, isRole } from "../../auth/roles";
import { log } from "../log";

/**
 * Sign-in through Better Auth: email + password accounts (passwords hashed by Better Auth, scrypt), sessions in
 * the accounts database behind an HttpOnly SameSite=Lax cookie (Secure when served over HTTPS), and single
 * sign-on with any OpenID Connect provider named by the environment.
 *
 * Nobody signs up: the first admin comes from the one-time link printed at start-up (setup.ts), and admins
 * create the other accounts. An SSO user is created on first sign-in with `WAYPOINT_OIDC_DEFAULT_ROLE`
 * (default viewer), and an admin raises it.
 */
export type Auth = ReturnType<typeof createAuth>;

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  name: string;
  defaultRole: string;
}

/** OIDC settings from the environment, or null when SSO is not configured. */
export function oidcFromEnv(env: NodeJS.ProcessEnv = process.env): OidcConfig | null {
  const issuer = env.WAYPOINT_OIDC_ISSUER?.trim();
  const clientId = env.WAYPOINT_OIDC_CLIENT_ID?.trim();
  if (!issuer || !clientId) return null;
  const defaultRole = env.WAYPOINT_OIDC_DEFAULT_ROLE?.trim() || DEFAULT_ROLE;
  return {
    issuer: issuer.replace(/\/$/, ""),
    clientId,
    clientSecret: env.WAYPOINT_OIDC_CLIENT_SECRET ?? "",
    name: env.WAYPOINT_OIDC_NAME?.trim() || "SSO",
    defaultRole: isRole(defaultRole) ? defaultRole : DEFAULT_ROLE,
  };
}

const SECRET_KEY = "auth_secret";

/**
 * The secret that signs session cookies: `BETTER_AUTH_SECRET` when set, otherwise one generated on first start
 * and kept in the accounts database, so every server sharing that database agrees and restarts keep sessions.
 */
export async function authSecret(db: AccountsDb, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env.BETTER_AUTH_SECRET?.trim();
  if (fromEnv) return fromEnv;
  const candidate = randomBytes(32).toString("base64url");
  // Insert-if-absent, then read back: two servers starting together end up with the same secret.
  await db.prisma.setting.upsert({ where: { key: SECRET_KEY }, create: { key: SECRET_KEY, value: candidate }, update: {} });
  return (await db.prisma.setting.findUniqueOrThrow({ where: { key: SECRET_KEY } })).value;
}

export function createAuth(db: AccountsDb, secret: string, oidc: OidcConfig | null, env: NodeJS.ProcessEnv = process.env) {
  const baseURL = env.WAYPOINT_URL?.trim() || env.BETTER_AUTH_URL?.trim() || undefined;
  return betterAuth({
    appName: "Waypoint",
    logger: {
      level: "warn",
      log: (level, message, ...args) => {
        // Deriving the origin from each request is intended when WAYPOINT_URL is unset (a first local start).
        if (message.includes("Base URL is not set")) return;
        log()[level === "error" ? "error" : "warn"]({ component: "sign-in", args: args.length ? args : undefined }, message);
      },
    },
    secret,
    baseURL,
    basePath: "/api/auth",
    database: prismaAdapter(db.prisma, { provider: db.provider }),
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 8, maxPasswordLength: 256 },
    user: {
      additionalFields: {
        // No defaultValue here: Better Auth would fill it in before the create hook below, which then could not
        // tell an SSO user (who gets WAYPOINT_OIDC_DEFAULT_ROLE) apart. The column's own default is viewer.
        role: { type: "string", required: false, input: false },
        graphs: { type: "string", required: false, input: false },
        disabled: { type: "boolean", required: false, defaultValue: false, input: false },
      },
    },
    session: {
      expiresIn: 60 * 60 * 24 * 7,
      updateAge: 60 * 60 * 24,
      // Signed cookie cache: a request checks the session without a database read for up to 30 s; a disabled
      // user or revoked session therefore stops working within 30 s on every server (and at once on this one, see principal.ts).
      cookieCache: { enabled: true, maxAge: 30 },
    },
    advanced: {
      // Explicit: Better Auth skips its own origin and CSRF checks when it thinks it runs under a test runner
      // (TEST or NODE_ENV=test in the environment); a server must never inherit that.
      disableOriginCheck: false,
      disableCSRFCheck: false,
      cookiePrefix: "waypoint",
      // Secure cookies whenever the public URL is HTTPS; plain http://localhost keeps working for a first start.
      useSecureCookies: baseURL?.startsWith("https://") ?? false,
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax" },
      ipAddress: { ipAddressHeaders: ["x-forwarded-for", "x-real-ip"] },
    },
    // Same-origin only: Better Auth refuses a sign-in POST whose Origin is not the app's own.
    trustedOrigins: (request) => (request ? [selfOrigin(request)] : []),
    // Per client address: 20 password attempts a minute; SSO starts and callbacks are looser, since a whole
    // office behind one address signs in through them.
    rateLimit: {
      enabled: true,
      window: 60,
      max: 100,
      customRules: {
        "/sign-in/email": { window: 60, max: 20 },
        "/sign-in/social": { window: 60, max: 120 },
        "/callback/*": { window: 60, max: 120 },
      },
    },
    telemetry: { enabled: false },
    databaseHooks: {
      user: {
        create: {
          // Users created by SSO get the configured default role; created by an admin, the role they chose.
          before: async (user) => ({ data: { ...user, role: isRole(String(user.role)) ? user.role : (oidc?.defaultRole ?? DEFAULT_ROLE) } }),
        },
      },
      session: {
        create: {
          before: async (session) => {
            const u = await db.prisma.user.findUnique({ where: { id: session.userId }, select: { disabled: true } });
            if (u?.disabled) return false; // a disabled user gets no session
            return { data: session };
          },
        },
      },
    },
    plugins: oidc
      ? [
          genericOAuth({
            config: [
              {
                providerId: "oidc",
                name: oidc.name,
                discoveryUrl: `${oidc.issuer}/.well-known/openid-configuration`,
                clientId: oidc.clientId,
                clientSecret: oidc.clientSecret,
                scopes: ["openid", "email", "profile"],
                pkce: true,
                // The documented redirect URI (README); handler.ts routes it to Better Auth's /callback/oidc.
                ...(baseURL ? { redirectURI: `${baseURL.replace(/\/$/, "")}/api/auth/oauth2/callback/oidc` } : {}),
              },
            ],
          }),
        ]
      : [],
  });
}

/** The origin the request was addressed to (behind a proxy, the forwarded host and protocol). */
export function selfOrigin(req: Request): string {
  const url = new URL(req.url);
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? url.host;
  const proto = req.headers.get("x-forwarded-proto") ?? url.protocol.replace(":", "");
  return `${proto.split(",")[0].trim()}://${host.split(",")[0].trim()}`;
}
