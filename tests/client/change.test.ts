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

  it("describes a decision of any declared shape: its fields in words, the text written as what was said", () => {
    expect(describeChange(meta({ actor: "Vera", decision: { vendor: "contoso", budget: 1200, note: " fastest " } }))).toEqual({
      who: "Vera",
      what: "answered it (vendor contoso, budget 1200)",
      said: "fastest",
    });
    expect(describeChange(meta({ actor: "Ann", decision: [{ type: "accept", args: { a: 1 } }] })).what).toBe("accepted it");
    expect(describeChange(meta({ actor: "Ann", decision: { type: "response", args: "use 2" } })).what).toBe("answered it (response)");
    expect(describeChange(meta({ decision: "approve" })).what).toBe("answered it (“approve”)");
    expect(describeChange(meta({ decision: 42 })).what).toBe("answered it (42)");
    expect(describeChange(meta({ decision: { text: "x".repeat(100) } })).what).toBe(`answered it (text ${"x".repeat(55)}…)`);
  });

  it("ignores an actor that is not a name", () => {
    expect(describeChange(meta({ actor: 42 }))).toEqual({ who: null, what: "the run moved on", said: null });
    expect(describeChange(undefined)).toEqual({ who: null, what: "the run moved on", said: null });
  });
});
