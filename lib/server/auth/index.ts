import "server-only";
import type { CheckpointStore } from "../../checkpoint/types";
import { AuditLog } from "./audit";
import { authSecret, createAuth, oidcFromEnv, type Auth, type OidcConfig } from "./auth";
import { openAccountsDb, type AccountsDb } from "./db";
import { Authenticator, adminTokenFromEnv } from "./principal";
import { TokenService } from "./tokens";
import { UserService } from "./users";
import { log } from "../log";

/** Everything about who may do what, opened once per process beside the checkpoint store (runtime.ts). */
export interface Access {
  db: AccountsDb;
  auth: Auth;
  oidc: OidcConfig | null;
  authn: Authenticator;
  tokens: TokenService;
  users: UserService;
  audit: AuditLog;
}

export async function createAccess(store: CheckpointStore, env: NodeJS.ProcessEnv = process.env): Promise<Access> {
  const adminToken = adminTokenFromEnv(env); // refused before anything opens when too short
  const db = await openAccountsDb(store, env);
  const oidc = oidcFromEnv(env);
  const auth = createAuth(db, await authSecret(db, env), oidc, env);
  const tokens = new TokenService(db);
  const authn = new Authenticator(db, auth, tokens, adminToken);
  const users = new UserService(db, auth, (id) => authn.forgetUser(id));
  return { db, auth, oidc, authn, tokens, users, audit: new AuditLog(db) };
}

/** Prints the one-time first-admin link when there are no accounts yet. */
export async function announceFirstAdmin(access: Access, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const token = await access.users.firstAdminInvite();
  if (!token) return;
  const base = (env.WAYPOINT_URL?.trim() || `http://localhost:${env.PORT || 3000}`).replace(/\/$/, "");
  const setupUrl = `${base}/setup?token=${token}`;
  // Its own line, so it reads well in a terminal and `grep setup?token` finds it in a JSON log.
  log().info({ setupUrl }, `No accounts yet. Open this link to create the first admin (valid once, for 24 hours): ${setupUrl}`);
  log().info("For scripts and CI, WAYPOINT_ADMIN_TOKEN (32+ characters) in the environment is accepted as an admin bearer token.");
}

export type { Principal } from "./principal";
export { authorize, allows } from "./principal";
