/**
 * Roles and what each may do. Each role includes the one before it:
 *   viewer   read everything (threads, checkpoints, diffs, events, graphs)
 *   reviewer decide at interrupts (approve / reject / edit), edit state, fork
 *   operator start, resume, retry, cancel and delete runs and threads
 *   admin    users, roles, API tokens, the audit trail
 * A user or token may also be limited to a list of graphs (`graphs`); null means every graph.
 * Plain data, no server imports: the dashboard shows the same table.
 */
export const ROLES = ["viewer", "reviewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];
export const DEFAULT_ROLE: Role = "viewer";

export const ACTIONS = ["read", "decide", "edit", "fork", "run", "delete", "admin"] as const;
export type Action = (typeof ACTIONS)[number];

const GRANTS: Record<Role, readonly Action[]> = {
  viewer: ["read"],
  reviewer: ["read", "decide", "edit", "fork"],
  operator: ["read", "decide", "edit", "fork", "run", "delete"],
  admin: ACTIONS,
};

/** The least role that may take an action (for error messages). */
export function roleFor(action: Action): Role {
  return ROLES.find((r) => GRANTS[r].includes(action))!;
}

export const isRole = (v: unknown): v is Role => typeof v === "string" && (ROLES as readonly string[]).includes(v);

export function can(role: Role, action: Action): boolean {
  return GRANTS[role].includes(action);
}

export function actionsOf(role: Role): Action[] {
  return [...GRANTS[role]];
}

export const ACTION_WORDS: Record<Action, string> = {
  read: "read threads",
  decide: "decide at interrupts",
  edit: "edit state",
  fork: "fork checkpoints",
  run: "start, resume, retry or cancel runs",
  delete: "delete threads",
  admin: "manage users, tokens and the audit trail",
};

/**
 * What an API token may call: "all" (whatever its role allows), or "metrics" (only GET /api/metrics, so a
 * Prometheus scraper's token leaked from its config reads figures and nothing else). Users are always "all".
 */
export const TOKEN_SCOPES = ["all", "metrics"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
export const isTokenScope = (v: unknown): v is TokenScope => typeof v === "string" && (TOKEN_SCOPES as readonly string[]).includes(v);

/** A stored graph list (JSON array text) as an array, or null for "every graph". */
export function parseGraphs(text: string | null | undefined): string[] | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) && v.every((g) => typeof g === "string") ? v : null;
  } catch {
    return null;
  }
}

/** The narrower of two graph scopes (a token never sees more than its owner). */
export function intersectGraphs(a: string[] | null, b: string[] | null): string[] | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.filter((g) => b.includes(g));
}

/** The lesser of two roles (a token never does more than its owner). */
export function minRole(a: Role, b: Role): Role {
  return ROLES[Math.min(ROLES.indexOf(a), ROLES.indexOf(b))];
}
