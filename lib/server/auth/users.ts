import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { WaypointError } from "../../errors";
import type { Auth } from "./auth";
import type { AccountsDb } from "./db";
import type { ApiUser } from "../../api/responses";
import { isRole, parseGraphs, type Role } from "../../auth/roles";

/**
 * Accounts: created by an admin (or, once, by the first-admin link), never by open sign-up. Passwords are
 * hashed with Better Auth's own hasher and stored where Better Auth's email sign-in reads them (a "credential"
 * account row), so sign-in, sessions and password checks stay Better Auth's.
 */
export type UserRecord = ApiUser;

const INVITE_PREFIX = "first_admin_invite:";
const INVITE_TTL_MS = 24 * 60 * 60 * 1000;

type Row = {
  id: string;
  name: string;
  email: string;
  role: string;
  graphs: string | null;
  disabled: boolean;
  createdAt: Date;
  accounts?: { providerId: string }[];
};

const toRecord = (u: Row): UserRecord => ({
  id: u.id,
  name: u.name,
  email: u.email,
  role: isRole(u.role) ? u.role : "viewer",
  graphs: parseGraphs(u.graphs),
  disabled: u.disabled,
  createdAt: new Date(u.createdAt).toISOString(),
  sso: (u.accounts ?? []).some((a) => a.providerId !== "credential"),
});

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

export class UserService {
  constructor(
    private readonly db: AccountsDb,
    private readonly auth: Auth,
    private readonly onChange: (userId: string) => void,
  ) {}

  async count(): Promise<number> {
    return this.db.prisma.user.count();
  }

  async list(): Promise<UserRecord[]> {
    const rows = await this.db.prisma.user.findMany({
      orderBy: { createdAt: "asc" },
      take: 1000,
      include: { accounts: { select: { providerId: true } } },
    });
    return rows.map(toRecord);
  }

  async get(id: string): Promise<UserRecord> {
    const row = await this.db.prisma.user.findUnique({ where: { id }, include: { accounts: { select: { providerId: true } } } });
    if (!row) throw new WaypointError("INVALID_ARGUMENT", `User "${id}" was not found.`);
    return toRecord(row);
  }

  async create(input: { name: string; email: string; password: string; role: Role; graphs: string[] | null }): Promise<UserRecord> {
    const email = input.email.trim().toLowerCase();
    if (await this.db.prisma.user.findUnique({ where: { email } }))
      throw new WaypointError("CONFLICT", `A user with the email ${email} already exists.`);
    const ctx = await this.auth.$context;
    const hash = await ctx.password.hash(input.password);
    const id = uuidv7();
    const now = new Date();
    await this.db.prisma.user.create({
      data: {
        id,
        name: input.name.trim(),
        email,
        emailVerified: true,
        role: input.role,
        graphs: input.graphs ? JSON.stringify(input.graphs) : null,
        createdAt: now,
        updatedAt: now,
        accounts: { create: { id: uuidv7(), accountId: id, providerId: "credential", password: hash, createdAt: now, updatedAt: now } },
      },
    });
    return this.get(id);
  }

  async update(
    id: string,
    patch: { name?: string; role?: Role; graphs?: string[] | null; disabled?: boolean; password?: string },
  ): Promise<UserRecord> {
    const before = await this.get(id);
    if (before.role === "admin" && ((patch.role && patch.role !== "admin") || patch.disabled)) {
      const admins = await this.db.prisma.user.count({ where: { role: "admin", disabled: false } });
      if (admins <= 1) throw new WaypointError("CONFLICT", "This is the last active admin; make another admin first.");
    }
    await this.db.prisma.user.update({
      where: { id },
      data: {
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...(patch.role !== undefined ? { role: patch.role } : {}),
        ...(patch.graphs !== undefined ? { graphs: patch.graphs ? JSON.stringify(patch.graphs) : null } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
        updatedAt: new Date(),
      },
    });
    if (patch.password !== undefined) {
      const hash = await (await this.auth.$context).password.hash(patch.password);
      const n = await this.db.prisma.account.updateMany({
        where: { userId: id, providerId: "credential" },
        data: { password: hash, updatedAt: new Date() },
      });
      if (n.count === 0)
        await this.db.prisma.account.create({ data: { id: uuidv7(), accountId: id, providerId: "credential", userId: id, password: hash } });
    }
    // A disabled user is signed out everywhere (other servers within the session cookie cache's 30 s).
    if (patch.disabled) await this.db.prisma.session.deleteMany({ where: { userId: id } });
    this.onChange(id);
    return this.get(id);
  }

  /**
   * On a start with no accounts: a one-time invitation to create the first admin. Only its hash is stored; the
   * token is printed once. Each start makes a new one (old ones stay valid until they expire or one is used).
   */
  async firstAdminInvite(): Promise<string | null> {
    if ((await this.count()) > 0) return null;
    const token = randomBytes(24).toString("base64url");
    await this.db.prisma.setting.create({ data: { key: INVITE_PREFIX + sha(token), value: new Date(Date.now() + INVITE_TTL_MS).toISOString() } });
    return token;
  }

  async setupNeeded(): Promise<boolean> {
    return (await this.count()) === 0;
  }

  /** Uses the invitation (once: deleting its row is the claim) and creates the first admin. */
  async claimFirstAdmin(token: string, input: { name: string; email: string; password: string }): Promise<UserRecord> {
    const key = INVITE_PREFIX + sha(token);
    const invite = await this.db.prisma.setting.findUnique({ where: { key } });
    const invalid = () =>
      new WaypointError(
        "FORBIDDEN",
        "This set-up link is not valid: it was used already, has expired, or was mistyped. Restart the server for a new one.",
      );
    if (!invite || Date.parse(invite.value) <= Date.now()) throw invalid();
    if ((await this.count()) > 0) throw new WaypointError("CONFLICT", "This Waypoint already has accounts; ask an admin for one.");
    const claimed = await this.db.prisma.setting.deleteMany({ where: { key } });
    if (claimed.count !== 1) throw invalid();
    const user = await this.create({ ...input, role: "admin", graphs: null });
    await this.db.prisma.setting.deleteMany({ where: { key: { startsWith: INVITE_PREFIX } } });
    return user;
  }
}
