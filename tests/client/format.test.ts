/** The dashboard's text helpers (lib/client/format.ts). */
import { describe, expect, it } from "vitest";
import { SOURCE_LABEL, clock, formatBytes, nodeLabel, pathText, shortId, timeAgo } from "@/lib/client/format";

describe("timeAgo", () => {
  const now = Date.parse("2026-06-15T12:00:00Z");
  const ago = (ms: number) => new Date(now - ms).toISOString();

  it("reads recent times as seconds, minutes or hours ago", () => {
    expect(timeAgo(ago(0), now)).toBe("just now");
    expect(timeAgo(ago(4_000), now)).toBe("just now");
    expect(timeAgo(ago(5_000), now)).toBe("5s ago");
    expect(timeAgo(ago(59_000), now)).toBe("59s ago");
    expect(timeAgo(ago(60_000), now)).toBe("1m ago");
    expect(timeAgo(ago(59 * 60_000), now)).toBe("59m ago");
    expect(timeAgo(ago(3_600_000), now)).toBe("1h ago");
    expect(timeAgo(ago(23 * 3_600_000), now)).toBe("23h ago");
  });

  it("reads a day or more as the date, a future time as just now, and an invalid one as nothing", () => {
    const old = ago(3 * 86_400_000);
    expect(timeAgo(old, now)).toBe(new Date(old).toLocaleDateString());
    expect(timeAgo(ago(-60_000), now)).toBe("just now");
    expect(timeAgo("not a date", now)).toBe("");
  });
});

describe("clock", () => {
  it("shows the local time as HH:MM:SS on a 24-hour clock", () => {
    const d = new Date(2026, 5, 15, 13, 5, 9); // local time, away from midnight (locales differ on "24:00")
    const pad = (n: number) => String(n).padStart(2, "0");
    expect(clock(d.toISOString())).toBe(`${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`);
  });
});

describe("nodeLabel and SOURCE_LABEL", () => {
  it("names the engine's reserved nodes for what they are and keeps the graph's own", () => {
    expect(nodeLabel({ nodeName: "__input__", metadata: { source: "input", writes: [] } })).toBe("input");
    expect(nodeLabel({ nodeName: "__update__", metadata: { source: "update", writes: [] } })).toBe("state edited");
    expect(nodeLabel({ nodeName: "__fork__", metadata: { source: "fork", writes: [] } })).toBe("forked");
    expect(nodeLabel({ nodeName: "draft,review", metadata: { source: "loop", writes: [] } })).toBe("draft,review");
  });

  it("labels every checkpoint source", () => {
    expect(SOURCE_LABEL).toEqual({ input: "input", loop: "step", update: "human edit", fork: "fork" });
  });
});

describe("shortId", () => {
  it("keeps ids of up to 12 characters and shortens longer ones to head…tail", () => {
    expect(shortId("")).toBe("");
    expect(shortId("abcdefghijkl")).toBe("abcdefghijkl");
    expect(shortId("0194f2a7-1c2d-7e3f-8a9b-0123456789ab")).toBe("0194f2a7…89ab");
  });
});

describe("pathText", () => {
  it("joins a diff path with dots and brackets", () => {
    expect(pathText(["draft"])).toBe("draft");
    expect(pathText(["a", "b", 0, "c"])).toBe("a.b[0].c");
    expect(pathText([0, "x"])).toBe("[0].x");
    expect(pathText(["log", 2])).toBe("log[2]");
  });

  it("shows the root for an empty path and passes a string through", () => {
    expect(pathText([])).toBe("(root)");
    expect(pathText("values.draft")).toBe("values.draft");
  });
});

describe("formatBytes", () => {
  it("reads bytes, then KiB, MiB and GiB with at most three significant digits", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1 KiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(3543)).toBe("3.46 KiB");
    expect(formatBytes(12.5 * 1024)).toBe("12.5 KiB");
    expect(formatBytes(387.4 * 1024 ** 2)).toBe("387 MiB");
    expect(formatBytes(2 * 1024 ** 3)).toBe("2 GiB");
  });

  it("never shows 1024 of a unit, and shows a dash for what is not a size", () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe("1 MiB");
    expect(formatBytes(1024 * 1023.99)).toBe("1 MiB");
    expect(formatBytes(-1)).toBe("—");
    expect(formatBytes(Number.NaN)).toBe("—");
  });
});
