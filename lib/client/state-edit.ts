/**
 * Turning an edited full state into the smallest update. The engine applies updates through the channel
 * reducers, so sending the whole state back would append every list again: only changed channels are sent,
 * and for append channels whose new list extends the old one, only the added items.
 */
import type { GraphDetail } from "./types";

export function stateUpdate(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  channels: GraphDetail["channels"] = [],
): Record<string, unknown> {
  const reducers = new Map((channels ?? []).map((c) => [c.name, c.reducer]));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(after)) {
    const old = before[key];
    if (same(old, value)) continue;
    if (reducers.get(key) === "append" && Array.isArray(old) && Array.isArray(value)) {
      const prefix = same(value.slice(0, old.length), old);
      out[key] = prefix ? value.slice(old.length) : value;
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** Equal as JSON, whatever the order of object keys (a form may rebuild objects in its own key order). */
export function same(a: unknown, b: unknown): boolean {
  return stable(a) === stable(b);
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "undefined";
}

/** Parses editor text as a JSON object; returns the error message to show inline otherwise. */
export function parseObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `Invalid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, error: "The state must be a JSON object." };
  return { ok: true, value: value as Record<string, unknown> };
}

export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
