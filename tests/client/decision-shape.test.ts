import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Decision } from "@/lib/graphs/approval";
import { Choice } from "@/lib/graphs/vendor";
import { decisionChoices, oneClick } from "@/lib/client/decision-shape";
import { checkJson } from "@/lib/api/schema-check";
import { stateUpdate } from "@/lib/client/state-edit";

/** The decision panel's shape comes from the declared resume schema alone (as the graph description carries it). */
const json = (s: z.ZodType) => z.toJSONSchema(s, { target: "draft-2020-12" }) as Record<string, unknown>;

describe("decision panel shape", () => {
  it("a union told apart by `action` → one button per alternative; required fields open a form, readOnly ones are never asked", () => {
    const choices = decisionChoices(json(Decision))!;
    expect(choices.map((c) => [c.id, c.label, oneClick(c)])).toEqual([
      ["approve", "Approve", true],
      ["reject", "Reject", false],
      ["edit", "Edit the draft", false],
    ]);
    expect(choices[0].fields.map((f) => f.name)).toEqual(["comment"]); // approvedBy is the server's
    expect(choices[1].fields).toMatchObject([{ name: "feedback", required: true, label: "Reason for rejecting" }]);
    expect(choices[0].fixed).toEqual({ action: "approve" });
  });

  it("one object with an enumerated property → one button per value, the rest as fields, checked with plain messages", () => {
    const choices = decisionChoices(json(Choice))!;
    expect(choices.map((c) => c.id)).toEqual(["northwind", "contoso", "fabrikam"]);
    expect(choices[1].heading).toBe("Choose a vendor: Contoso");
    expect(choices[1].fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ["budget", "integer", true],
      ["note", "textarea", false],
    ]);
    expect(checkJson(choices[1].schema, { vendor: "contoso", budget: 5 })).toEqual([{ path: ["budget"], message: "Must be at least 100." }]);
    expect(checkJson(choices[1].schema, { vendor: "contoso" })).toEqual([{ path: ["budget"], message: "Required." }]);
    expect(checkJson(choices[1].schema, { vendor: "contoso", budget: 2000, note: "ok" })).toEqual([]);
  });

  it("a schema that is not buttons and fields → null (the panel asks for JSON)", () => {
    expect(decisionChoices(json(z.array(z.string())))).toBeNull();
    expect(decisionChoices(undefined)).toBeNull();
  });

  it("a state edit sends only changed channels, whatever the key order a form rebuilt objects in", () => {
    const before = { q: { a: 1, b: 2 }, log: ["x"], n: 1 };
    expect(stateUpdate(before, { q: { b: 2, a: 1 }, log: ["x", "y"], n: 2 }, [{ name: "log", reducer: "append" }])).toEqual({ log: ["y"], n: 2 });
  });
});
