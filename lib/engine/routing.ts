/** Where a graph goes after a node: its successors, and the static interrupts a checkpoint records. */
import { WaypointError } from "../errors";
import { newCheckpointId } from "../checkpoint/ids";
import type { PendingInterrupt } from "../checkpoint/types";
import { END } from "./constants";
import type { GraphDef } from "./definition";
import type { CompileConfig, State } from "./types";

/** Static interrupts of a checkpoint: after the nodes that just ran, before the nodes that run next. */
export function staticInterrupts(config: CompileConfig, ran: string[], next: string[]): PendingInterrupt[] {
  const out: PendingInterrupt[] = [];
  for (const n of ran) if (config.interruptAfter?.includes(n)) out.push({ id: newCheckpointId(), node: n, kind: "after", value: null });
  for (const n of next) if (config.interruptBefore?.includes(n)) out.push({ id: newCheckpointId(), node: n, kind: "before", value: null });
  return out;
}

/** Nodes that follow `source`: a Command's goto, else static edges then conditional routers. END is dropped. */
export async function nextFrom(def: GraphDef, source: string, state: State, goto: string[] | null): Promise<string[]> {
  const targets: string[] = [];
  const add = (n: string) => {
    if (n === END) return;
    if (!def.nodes.has(n)) throw new WaypointError("UNKNOWN_NODE", `"${source}" routed to unknown node "${n}".`, { node: source, target: n });
    if (!targets.includes(n)) targets.push(n);
  };
  if (goto) {
    goto.forEach(add);
    return targets;
  }
  for (const t of def.edges.get(source) ?? []) add(t);
  for (const b of def.branches.get(source) ?? []) {
    const picked = await b.router({ ...state });
    for (const key of Array.isArray(picked) ? picked : [picked]) {
      if (b.pathMap && !Object.prototype.hasOwnProperty.call(b.pathMap, key))
        throw new WaypointError("UNKNOWN_NODE", `The router after "${source}" returned "${String(key)}", which is not in its path map.`, {
          node: source,
          target: key,
        });
      add(b.pathMap ? b.pathMap[key] : key);
    }
  }
  return targets;
}
