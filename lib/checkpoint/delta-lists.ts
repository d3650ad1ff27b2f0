/**
 * Lists of primitives that grow by appends (a log, ids, step numbers): what lets the codec (delta.ts) encode a
 * save's change to such a channel in time proportional to what the step added, not to the whole list.
 *
 * The codec finds what changed by comparing JSON texts. For a list of n items that means stringifying all n on
 * every save, and then reading into the text, which makes V8 flatten the pieces JSON.stringify built it from:
 * measured at 2,500 items of 200 characters, about 1 ms to stringify and 2 ms to flatten, per save. For a list
 * whose items are strings, numbers, booleans or null, comparing the items themselves is exact: equal primitives
 * have equal JSON text. So the codec keeps, per such channel, an ItemLog of the items it saw; a child whose list
 * starts with exactly those items (===, checked one by one, against the log, never against the caller's array,
 * which may have been changed in place) is an append of the rest, and its text is the parent's, extended.
 *
 * Invariants: `items[0..len)` are the channel's items as saved (`items` is shared, append-only: an extension
 * pushes onto it when it is its tip, else copies its first `len`); `open + "]"` is exactly the channel's JSON text,
 * and `open` is built by concatenation only (never sliced, so never flattened: reading a character of a
 * concatenated text copies all of it).
 */

export type Primitive = string | number | boolean | null;

export const isPrimitive = (v: unknown): v is Primitive => v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";

export interface ItemLog {
  items: Primitive[];
  len: number;
  /** The list's JSON text without its closing "]". */
  open: string;
}

/** Lists JSON.stringify would turn into something other than their items (a toJSON of their own) are not logged. */
const plainList = (v: unknown[]) => typeof (v as { toJSON?: unknown }).toJSON !== "function";

/** A log of list `v` whose JSON text is `text`, when every item is a primitive (else null). */
export function newLog(v: unknown[], text: string): ItemLog | null {
  if (!plainList(v)) return null;
  for (let i = 0; i < v.length; i++) if (!isPrimitive(v[i])) return null;
  return { items: v.slice() as Primitive[], len: v.length, open: text.slice(0, -1) };
}

/** What an extension found: the list's text, its log, and the JSON array of the items added ("" if none). */
export interface Extended {
  text: string;
  log: ItemLog;
  added: string;
}

/**
 * `v` as an extension of the list `log` had, whose text was `text`: null unless `v` starts with exactly the
 * logged items and every item after them is a primitive. Unchanged, it gives back `text` and `log` themselves.
 */
export function extendLog(v: unknown[], log: ItemLog, text: string): Extended | null {
  const { items, len } = log;
  if (v.length < len || !plainList(v)) return null;
  for (let i = 0; i < len; i++) if (v[i] !== items[i]) return null;
  if (v.length === len) return { text, log, added: "" };
  for (let i = len; i < v.length; i++) if (!isPrimitive(v[i])) return null;
  const tail = v.slice(len) as Primitive[];
  const added = JSON.stringify(tail);
  const next = items.length === len ? items : items.slice(0, len);
  for (const x of tail) next.push(x);
  const inner = added.slice(1, -1);
  const open = len === 0 ? "[" + inner : log.open + "," + inner;
  return { text: open + "]", log: { items: next, len: v.length, open }, added };
}

/**
 * The JSON array of the items a logged list holds after its first `count` (those of an ancestor it has only been
 * appended to since), or null when `count` is beyond them.
 */
export function addedSince(log: ItemLog, count: number): string | null {
  if (count > log.len) return null;
  return count === log.len ? "" : JSON.stringify(log.items.slice(count, log.len));
}
