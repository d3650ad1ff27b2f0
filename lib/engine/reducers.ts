import type { Reducer } from "./types";

/**
 * Appends to a list channel: an array update appends each item, anything else appends itself.
 * (So appending one item that is itself an array needs wrapping: `[[a, b]]`.) Never mutates `current`.
 */
export const appendReducer: Reducer<unknown[], unknown> = (current, update) => {
  const base = Array.isArray(current) ? current : current === undefined || current === null ? [] : [current];
  return Array.isArray(update) ? base.concat(update) : [...base, update];
};

/** Shallow-merges object updates into an object channel. */
export const mergeReducer: Reducer<Record<string, unknown>, Record<string, unknown>> = (current, update) => ({
  ...(current ?? {}),
  ...(update ?? {}),
});

/** Adds numeric updates. */
export const sumReducer: Reducer<number, number> = (current, update) => (current ?? 0) + update;
