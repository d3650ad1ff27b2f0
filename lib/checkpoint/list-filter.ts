/**
 * Namespaces and the metadata filter (issue 12; `Checkpoint.namespace`, `ListOptions.namespace` / `metadata` in
 * types.ts): validation and the in-process forms every store shares. SQL stores express the same rules in SQL
 * (sqlite.ts, postgres.ts); memory, file and Redis apply `matchesMetadata` to a checkpoint's scalar metadata
 * (`scalarMetadata`, kept beside the summary so no state is read to filter).
 */
import { WaypointError } from "../errors";

const bad = (message: string) => new WaypointError("INVALID_ARGUMENT", message);

export const MAX_NAMESPACE = 1000;
export const MAX_FILTER_KEYS = 20;
export const MAX_FILTER_KEY = 200;

export type MetadataFilter = Record<string, string | number | boolean>;

/** A namespace as given (undefined allowed); INVALID_ARGUMENT when not a string of at most 1,000 characters without U+0000. */
export function validateNamespace(ns: unknown, what = "namespace"): void {
  if (ns === undefined) return;
  if (typeof ns !== "string" || ns.length > MAX_NAMESPACE || ns.includes("\u0000"))
    throw bad(`${what} must be a string of at most ${MAX_NAMESPACE} characters without U+0000.`);
}

/** The namespace of a checkpoint: "" for the root graph. */
export const nsOf = (cp: { namespace?: string }): string => cp.namespace ?? "";

/** The checkpoint with a root namespace left out (stores return `namespace` only when it is not ""). */
export function withoutRootNamespace<T extends { namespace?: string }>(cp: T): T {
  if (cp.namespace !== "") return cp;
  const { namespace: _n, ...rest } = cp;
  return rest as T;
}

/** Checks ListOptions.metadata; returns it, or undefined when absent or empty. */
export function validateMetadataFilter(filter: unknown): MetadataFilter | undefined {
  if (filter === undefined) return undefined;
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) throw bad("metadata filter must be an object.");
  const entries = Object.entries(filter);
  if (entries.length > MAX_FILTER_KEYS) throw bad(`metadata filter: at most ${MAX_FILTER_KEYS} keys.`);
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > MAX_FILTER_KEY || k.includes("\u0000"))
      throw bad(`metadata filter: keys must be 1–${MAX_FILTER_KEY} characters without U+0000.`);
    const ok = typeof v === "string" ? !v.includes("\u0000") : typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
    if (!ok) throw bad(`metadata filter: the value of "${k}" must be a string, a finite number or a boolean.`);
  }
  return entries.length > 0 ? (filter as MetadataFilter) : undefined;
}

/** The top-level metadata entries a filter can match (strings, finite numbers, booleans), as kept beside summaries. */
export function scalarMetadata(metadata: unknown): MetadataFilter {
  const out: MetadataFilter = {};
  if (typeof metadata !== "object" || metadata === null) return out;
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) out[k] = v;
  }
  return out;
}

/** Whether a checkpoint's (scalar) metadata matches the filter: every key present with an equal value. */
export function matchesMetadata(metadata: unknown, filter: MetadataFilter | undefined): boolean {
  if (!filter) return true;
  if (typeof metadata !== "object" || metadata === null) return false;
  const md = metadata as Record<string, unknown>;
  return Object.entries(filter).every(([k, v]) => Object.prototype.hasOwnProperty.call(md, k) && md[k] === v);
}
