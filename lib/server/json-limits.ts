/**
 * What a request body may hold, checked once on the parsed JSON before any route acts on it, so that every
 * store is given only values it can keep and a refused body changes nothing:
 * - at most MAX_JSON_DEPTH levels of nesting (deeper values overflow the stack when serialised, mid-run);
 * - no U+0000 in any string or key (PostgreSQL's JSONB cannot store it);
 * - no lone UTF-16 surrogate (not Unicode text: PostgreSQL rejects it and other stores would keep garbage).
 * The walk is iterative, so a body nested 50,000 deep is refused rather than crashing the check itself.
 */
import { settings } from "./config";
export const MAX_JSON_DEPTH = settings().maxJsonDepth;

const NUL = "\u0000";
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function textProblem(s: string): string | null {
  if (s.includes(NUL)) return "holds a \\u0000 character, which the checkpoint stores cannot keep";
  if (LONE_SURROGATE.test(s)) return "holds a lone UTF-16 surrogate (not valid Unicode text)";
  return null;
}

const where = (path: (string | number)[]) => (path.length ? path.map(String).join(".") : "body");

/** The first problem with a parsed JSON body as `path: reason`, or null when every store can keep it. */
export function jsonBodyProblem(value: unknown): string | null {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v === "string") {
      const p = textProblem(v);
      if (p) return `${where(path)}: the text ${p}.`;
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (path.length >= MAX_JSON_DEPTH) return `${where(path.slice(0, 3))}…: the value is nested more than ${MAX_JSON_DEPTH} levels deep.`;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      const p = textProblem(k);
      if (p) return `${where(path)}: a key ${p}.`;
      stack.push({ v: child, path: [...path, k] });
    }
  }
  return null;
}
