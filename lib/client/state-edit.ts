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
    if (JSON.stringify(old) === JSON.stringify(value)) continue;
    if (reducers.get(key) === "append" && Array.isArray(old) && Array.isArray(value)) {
      const prefix = JSON.stringify(value.slice(0, old.length)) === JSON.stringify(old);
      out[key] = prefix ? value.slice(old.length) : value;
      continue;
    }
    out[key] = value;
  }
  return out;
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
