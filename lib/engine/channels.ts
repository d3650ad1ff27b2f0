import { WaypointError } from "../errors";
import type { ChannelWrite } from "../checkpoint/types";
import { checkValue, describeIssues } from "./schema";
import type { State, StateSchema } from "./types";

/** The state before any write: each channel's default, channels without one left out. */
export function initialState(schema: StateSchema): State {
  const state: State = {};
  for (const [name, spec] of Object.entries(schema)) if (spec.default) state[name] = spec.default();
  return state;
}

/** Turns a node's partial update into writes, rejecting anything that is not a plain object of known channels. */
export function toWrites(schema: StateSchema, node: string, update: unknown): ChannelWrite[] {
  if (update === undefined || update === null) return [];
  if (typeof update !== "object" || Array.isArray(update))
    throw new WaypointError(
      "INVALID_UPDATE",
      `Node "${node}" returned ${Array.isArray(update) ? "an array" : typeof update}; a node returns an object of channel values.`,
      { node },
    );
  const writes: ChannelWrite[] = [];
  for (const [channel, value] of Object.entries(update)) {
    if (value === undefined) continue;
    if (!Object.prototype.hasOwnProperty.call(schema, channel))
      throw new WaypointError(
        "INVALID_UPDATE",
        `Unknown channel "${channel}" written by "${node}". Known channels: ${Object.keys(schema).join(", ")}.`,
        { node, channel },
      );
    writes.push({ node, channel, value });
  }
  return writes;
}

/**
 * Applies writes through the reducers, in the order given (callers order them deterministically), and returns
 * the new state; `state` itself is not modified. With `oneWritePerStep`, two writes to one last-value channel
 * are an error rather than a silent overwrite. Channels with `validate` are checked after reduction.
 */
export function applyWrites(schema: StateSchema, state: State, writes: ChannelWrite[], oneWritePerStep: boolean): State {
  const next: State = { ...state };
  const writer = new Map<string, string>();
  for (const w of writes) {
    const spec = schema[w.channel];
    if (!spec || !Object.prototype.hasOwnProperty.call(schema, w.channel))
      throw new WaypointError("INVALID_UPDATE", `Unknown channel "${w.channel}".`, { channel: w.channel, node: w.node });
    if (!spec.reducer && oneWritePerStep && writer.has(w.channel))
      throw new WaypointError(
        "INVALID_UPDATE",
        `Channel "${w.channel}" was written by both "${writer.get(w.channel)}" and "${w.node}" in one step; it keeps one value — give it a reducer to combine writes.`,
        { channel: w.channel, nodes: [writer.get(w.channel), w.node] },
      );
    writer.set(w.channel, w.node);
    next[w.channel] = spec.reducer ? spec.reducer(next[w.channel], w.value) : w.value;
  }
  for (const channel of writer.keys()) {
    const { validate, schema: valueSchema } = schema[channel];
    if (!validate && !valueSchema) continue;
    try {
      validate?.(next[channel]);
      const checked = valueSchema ? checkValue(valueSchema, next[channel]) : null;
      if (checked && !checked.ok) throw new Error(describeIssues(checked.issues));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new WaypointError("INVALID_STATE", `Channel "${channel}" rejected the value written by "${writer.get(channel)}": ${why}`, {
        channel,
        node: writer.get(channel),
      });
    }
  }
  return next;
}
