import { WaypointError } from "../errors";
import type { Checkpoint } from "../checkpoint/types";
import type { GraphDef } from "./definition";
import { checkValue, describeIssues } from "./schema";

/**
 * Resume values: which pending interrupt each answers, and whether it has the shape its node declared
 * (`NodeOptions.resume`). Both are checked before a run writes anything, so a refused answer changes nothing.
 */
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Resume values for the first step, by node; validates the command against the checkpoint's interrupts. */
export function resumeValuesFor(cp: Checkpoint, resume: unknown, gotoList: string[] | null): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const next = gotoList ?? cp.next;
  const dynamic = cp.interrupts.filter((i) => i.kind === "dynamic" && next.includes(i.node));
  if (resume === undefined) {
    if (dynamic.length)
      throw new WaypointError(
        "DECISION_REQUIRED",
        `"${dynamic[0].node}" is waiting for a decision at v${cp.version}: answer it (command.resume), or re-run "${dynamic[0].node}" ` +
          `from the checkpoint before it to be asked again.`,
        { node: dynamic[0].node, checkpointId: cp.id, interrupts: dynamic.map((i) => i.id) },
      );
    return out;
  }
  if (cp.interrupts.length === 0) throw new WaypointError("NO_PENDING_INTERRUPT", `Checkpoint "${cp.id}" has no pending interrupt to resume.`);
  if (dynamic.length <= 1) {
    if (dynamic.length) out.set(dynamic[0].node, resume);
    return out;
  }
  const byId = isPlainObject(resume) && Object.keys(resume).length > 0 && Object.keys(resume).every((k) => dynamic.some((i) => i.id === k));
  for (const i of dynamic) if (!byId || i.id in (resume as object)) out.set(i.node, byId ? (resume as Record<string, unknown>)[i.id] : resume);
  return out;
}

/**
 * Checks each node's resume value against the node's declared schema and returns the schemas' outputs (what
 * the nodes receive). INVALID_RESUME carries every issue with its path, for a form to show beside its field.
 */
export function checkResumes(def: GraphDef, resumes: Map<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [node, value] of resumes) {
    const schema = def.nodes.get(node)?.options.resume;
    if (!schema) {
      out.set(node, value);
      continue;
    }
    const checked = checkValue(schema, value);
    if (!checked.ok)
      throw new WaypointError("INVALID_RESUME", `The answer to "${node}" does not fit its declared shape: ${describeIssues(checked.issues)}.`, {
        node,
        issues: checked.issues,
      });
    out.set(node, checked.value);
  }
  return out;
}
