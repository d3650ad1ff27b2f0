/** The stale-decision notice's words (lib/client/change.ts): who moved the thread on, what they did, what they wrote. */
import { describe, expect, it } from "vitest";
import { describeChange } from "@/lib/client/change";

const meta = (m: Record<string, unknown>) => ({ source: "loop" as const, writes: [], ...m });

describe("describeChange", () => {
  it("names the reviewer and their decision, with the reject's feedback", () => {
    expect(describeChange(meta({ actor: "Rita Reviewer", decision: { action: "approve" } }))).toEqual({
      who: "Rita Reviewer",
      what: "approved it",
      said: null,
    });
    expect(describeChange(meta({ actor: "Rita Reviewer", decision: { action: "reject", feedback: " Too long " } }))).toEqual({
      who: "Rita Reviewer",
      what: "rejected it",
      said: "Too long",
    });
    expect(describeChange(meta({ actor: "Rob", decision: { action: "approve", comment: "ship it" } })).said).toBe("ship it");
    expect(describeChange(meta({ actor: "Rob", decision: { action: "edit", draft: "x" }, reason: "typo" }))).toEqual({
      who: "Rob",
      what: "edited it and sent it on",
      said: "typo",
    });
    expect(describeChange(meta({ actor: "Rob", decision: { action: "escalate" } })).what).toBe("answered it (escalate)");
  });

  it("reads edits, forks and plain runs from the checkpoint's source", () => {
    expect(describeChange({ source: "update", writes: [], actor: "Ada", reason: "fix" })).toEqual({
      who: "Ada",
      what: "edited the state",
      said: "fix",
    });
    expect(describeChange({ source: "fork", writes: [], actor: "Ada" }).what).toBe("forked it");
    expect(describeChange(meta({ actor: "Olga" })).what).toBe("continued the run");
    expect(describeChange(meta({}))).toEqual({ who: null, what: "the run moved on", said: null });
  });

  it("ignores a decision or an actor that is not what Waypoint writes", () => {
    expect(describeChange(meta({ actor: 42, decision: "approve" }))).toEqual({ who: null, what: "the run moved on", said: null });
    expect(describeChange(undefined)).toEqual({ who: null, what: "the run moved on", said: null });
  });
});
