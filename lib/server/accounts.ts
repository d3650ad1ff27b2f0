import "server-only";
import { WaypointError } from "../errors";
import type { Caller } from "./auth/caller";
import type { AuditFilter, AuditQuery, CreateTokenBody, CreateUserBody, UpdateUserBody } from "../api/requests";
import { actionsOf, intersectGraphs, minRole, ROLES } from "../auth/roles";
import type { Runtime } from "./runtime";
import type { ApiSetupStatus, ApiAuditPage, ApiCreatedToken, ApiMe, ApiToken, ApiTokenList, ApiUser, ApiUserList } from "../api/responses";

/**
 * Services behind the account routes: the caller (`/api/me`), users and roles (admins), API tokens (each
 * user their own; admins everyone's), the audit trail (admins). Every change is an audit entry.
 */
export function me(rt: Runtime, who: Caller): ApiMe {
  const p = who.principal;
  return {
    kind: p.kind,
    userId: p.userId,
    name: p.name,
    email: p.email,
    role: p.role,
    graphs: p.graphs,
    actions: actionsOf(p.role),
    sso: rt.access.oidc ? { name: rt.access.oidc.name } : null,
  };
}

/** Whether this instance still needs its first admin (no accounts yet), and whether SSO is configured (open). */
export async function setupStatus(rt: Runtime): Promise<ApiSetupStatus> {
  return { needed: await rt.access.users.setupNeeded(), sso: rt.access.oidc ? { name: rt.access.oidc.name } : null };
}

export async function listUsers(rt: Runtime, who: Caller): Promise<ApiUserList> {
  who.authorize("admin");
  return { users: await rt.access.users.list(), roles: [...ROLES] };
}

export async function createUser(rt: Runtime, who: Caller, body: CreateUserBody): Promise<ApiUser> {
  who.authorize("admin");
  const user = await rt.access.users.create({ ...body, graphs: body.graphs ?? null });
  await who.audit({ action: "user_create", detail: { userId: user.id, email: user.email, role: user.role, graphs: user.graphs } });
  return user;
}

export async function updateUser(rt: Runtime, who: Caller, userId: string, patch: UpdateUserBody): Promise<ApiUser> {
  who.authorize("admin");
  const before = await rt.access.users.get(userId);
  const after = await rt.access.users.update(userId, patch);
  const { password, ...shown } = patch;
  await who.audit({
    action: "user_update",
    detail: {
      userId,
      email: after.email,
      before: { role: before.role, graphs: before.graphs, disabled: before.disabled },
      change: { ...shown, ...(password ? { password: "(changed)" } : {}) },
    },
  });
  return after;
}

export async function listTokens(rt: Runtime, who: Caller, all: boolean): Promise<ApiTokenList> {
  if (all) who.authorize("admin");
  if (!all && !who.principal.userId) return { tokens: [] };
  return { tokens: await rt.access.tokens.list(all ? undefined : who.principal.userId!) };
}

/** A token for the caller (or, for an admin, for `userId`); its role and graphs never exceed its owner's. */
export async function createToken(rt: Runtime, who: Caller, body: CreateTokenBody): Promise<ApiCreatedToken> {
  // A token never makes tokens: a leaked one could otherwise mint itself a successor that outlives its revocation.
  if (who.principal.kind === "token")
    throw new WaypointError("FORBIDDEN", "API tokens cannot create tokens; sign in (or use the admin token) to create one.", {
      action: "admin",
      role: who.principal.role,
    });
  const ownerId = body.userId ?? who.principal.userId;
  if (body.userId !== undefined && body.userId !== who.principal.userId) who.authorize("admin");
  if (!ownerId) throw new WaypointError("INVALID_ARGUMENT", "The admin token owns no tokens: give `userId`, the user the token acts for.");
  const owner = await rt.access.users.get(ownerId);
  if (minRole(body.role, owner.role) !== body.role)
    throw new WaypointError(
      "FORBIDDEN",
      `A token cannot have more rights than its owner: ${owner.email} is ${owner.role}, the token asked for ${body.role}.`,
    );
  if (body.userId === undefined && minRole(body.role, who.principal.role) !== body.role)
    throw new WaypointError("FORBIDDEN", `A token cannot have more rights than you (${who.principal.role}).`);
  const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
  // Never wider than the owner's graphs (also enforced on every use), nor the creator's own when for themselves.
  const graphs = intersectGraphs(intersectGraphs(body.graphs ?? null, owner.graphs), body.userId === undefined ? who.principal.graphs : null);
  const { token, record } = await rt.access.tokens.create(ownerId, { name: body.name, role: body.role, graphs, scope: body.scope, expiresAt });
  await who.audit({
    action: "token_create",
    detail: {
      tokenId: record.id,
      name: record.name,
      owner: owner.email,
      role: record.role,
      graphs: record.graphs,
      scope: record.scope,
      expiresAt: record.expiresAt,
    },
  });
  return { token, record };
}

export async function revokeToken(rt: Runtime, who: Caller, tokenId: string): Promise<ApiToken> {
  const rec = await rt.access.tokens.get(tokenId);
  if (rec.userId !== who.principal.userId) who.authorize("admin");
  const after = await rt.access.tokens.revoke(tokenId);
  await who.audit({ action: "token_revoke", detail: { tokenId, name: rec.name, ownerId: rec.userId } });
  return after;
}

export async function auditList(rt: Runtime, who: Caller, q: AuditQuery): Promise<ApiAuditPage> {
  who.authorize("admin");
  return rt.access.audit.list(q);
}

export function auditExport(rt: Runtime, who: Caller, q: AuditFilter): ReadableStream<Uint8Array> {
  who.authorize("admin");
  const lines = rt.access.audit.exportLines(q);
  const enc = new TextEncoder();
  return new ReadableStream({
    async pull(controller) {
      const { value, done } = await lines.next();
      if (done) controller.close();
      else controller.enqueue(enc.encode(value));
    },
  });
}
