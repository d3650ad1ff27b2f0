import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { WaypointError } from "../../errors";
import type { AccountsDb } from "./db";
import type { ApiToken } from "../../api/responses";
import { isRole, isTokenScope, parseGraphs, type Role, type TokenScope } from "../../auth/roles";

/**
 * API tokens for scripts and services: `wpt_` + 32 random bytes (base64url). Only the SHA-256 of the token is
 * stored — a token has 256 bits of entropy, so a fast hash is the right one (a slow password hash would only add
 * latency to every request). Each token has a role and an optional graph list; neither can exceed its owner's,
 * which is enforced when the token is used (principal.ts), so lowering a user's role lowers their tokens too.
 *
 * Verification is on every API request, so valid tokens are cached in process for CACHE_MS; a revoke in this
 * process drops the entry at once, one made on another server takes effect within CACHE_MS.
 */
export const TOKEN_PREFIX = "wpt_";
const CACHE_MS = 5_000;

export type TokenRecord = ApiToken;

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

type Row = {
  id: string;
  name: string;
  prefix: string;
  role: string;
  graphs: string | null;
  scope: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function toRecord(r: Row): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    role: isRole(r.role) ? r.role : "viewer",
    graphs: parseGraphs(r.graphs),
    // An unknown stored scope is the narrowest one, never a wider one.
    scope: isTokenScope(r.scope) ? r.scope : "metrics",
    userId: r.userId,
    createdAt: iso(r.createdAt)!,
    expiresAt: iso(r.expiresAt),
    lastUsedAt: iso(r.lastUsedAt),
    revokedAt: iso(r.revokedAt),
  };
}

export class TokenService {
  private readonly cache = new Map<string, { record: TokenRecord; until: number }>();
  private readonly touched = new Map<string, number>();

  constructor(private readonly db: AccountsDb) {}

  /** Creates a token; the secret is returned here once and never again. */
  async create(userId: string, opts: { name: string; role: Role; graphs: string[] | null; scope?: TokenScope; expiresAt?: Date | null }) {
    const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    const row = await this.db.prisma.apiToken.create({
      data: {
        id: uuidv7(),
        name: opts.name,
        tokenHash: hashToken(token),
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
        role: opts.role,
        graphs: opts.graphs ? JSON.stringify(opts.graphs) : null,
        scope: opts.scope ?? "all",
        userId,
        expiresAt: opts.expiresAt ?? null,
      },
    });
    return { token, record: toRecord(row) };
  }

  async list(userId?: string): Promise<TokenRecord[]> {
    const rows = await this.db.prisma.apiToken.findMany({ where: userId ? { userId } : {}, orderBy: { createdAt: "desc" }, take: 500 });
    return rows.map(toRecord);
  }

  async get(id: string): Promise<TokenRecord> {
    const row = await this.db.prisma.apiToken.findUnique({ where: { id } });
    if (!row) throw new WaypointError("INVALID_ARGUMENT", `Token "${id}" was not found.`);
    return toRecord(row);
  }

  async revoke(id: string): Promise<TokenRecord> {
    const row = await this.db.prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
    for (const [k, v] of this.cache) if (v.record.id === id) this.cache.delete(k);
    return toRecord(row);
  }

  /** The live token for a presented secret, or null (unknown, revoked or expired). */
  async verify(token: string): Promise<TokenRecord | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
    const hash = hashToken(token);
    const now = Date.now();
    const hit = this.cache.get(hash);
    let record: TokenRecord | null;
    if (hit && hit.until > now) record = hit.record;
    else {
      const row = await this.db.prisma.apiToken.findUnique({ where: { tokenHash: hash } });
      record = row ? toRecord(row) : null;
      if (record) this.cache.set(hash, { record, until: now + CACHE_MS });
      else this.cache.delete(hash);
    }
    if (!record || record.revokedAt || (record.expiresAt && Date.parse(record.expiresAt) <= now)) return null;
    this.touch(record.id, now);
    return record;
  }

  /** Records last use at most once a minute per token, off the request's path. */
  private touch(id: string, now: number) {
    if ((this.touched.get(id) ?? 0) > now - 60_000) return;
    this.touched.set(id, now);
    this.db.prisma.apiToken.update({ where: { id }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
  }
}
