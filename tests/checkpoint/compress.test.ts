/**
 * The packing of step writes (lib/checkpoint/compress.ts) on its own: what is packed and what is not, that
 * unpacking gives back the entry exactly (key order, odd keys), what the delta codec derives from a packed
 * write, compressed delta payloads, and re-encryption of a packed row. The five backends are covered by tests/conformance/suite-compress.ts.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PACK_MIN_CHARS, PACKED_KEY, forgetPackedTexts, isPackedWrite, packMetadata, packedText, unpackWrite } from "../../lib/checkpoint/compress";
import { createKeyring, openSealed } from "../../lib/checkpoint/crypto";
import { channelWrites, decodeOps, derivedPayload, encodeOps, type ChannelOp } from "../../lib/checkpoint/delta-format";
import { Resealer } from "../../lib/checkpoint/reseal";
import { isWaypointError } from "../../lib/errors";

const long = { role: "assistant", content: "The build failed because the lockfile is out of date. ".repeat(12) };

describe("packMetadata", () => {
  it("packs long compressible write values, in the value's place, and leaves everything else alone", () => {
    const md = {
      source: "loop",
      runId: "r1",
      writes: [
        { node: "a", channel: "msgs", value: [long], task: "t1" },
        { node: "a", channel: "n", value: 3 },
      ],
    };
    const packed = packMetadata(md);
    expect(packed).not.toBe(md);
    expect(md.writes[0].value).toEqual([long]); // the caller's object is untouched
    const [w0, w1] = packed.writes as Record<string, unknown>[];
    expect(Object.keys(w0)).toEqual(["node", "channel", PACKED_KEY, "task"]);
    expect(isPackedWrite(w0)).toBe(true);
    expect((w0[PACKED_KEY] as string).length).toBeLessThan(JSON.stringify([long]).length / 3);
    expect(w1).toBe(md.writes[1]);
    expect(packed.runId).toBe("r1");
    // Unpacked: the same entry, key order included.
    forgetPackedTexts();
    expect(JSON.stringify(unpackWrite(w0 as Record<string, unknown> & { $z: string }))).toBe(JSON.stringify(md.writes[0]));
  });

  it("returns the same object when nothing pays: short, incompressible, valueless or malformed writes", () => {
    const md = {
      writes: [
        { node: "a", channel: "s", value: "x".repeat(PACK_MIN_CHARS - 3) },
        { node: "a", channel: "h", value: randomBytes(600).toString("base64") },
        { node: "a", channel: "v" },
        null,
        "text",
        [1, 2],
      ],
    };
    expect(packMetadata(md)).toBe(md);
    expect(packMetadata({ source: "input" })).toEqual({ source: "input" });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const withCycle = { writes: [{ node: "a", channel: "c", value: cyclic }] };
    expect(packMetadata(withCycle)).toBe(withCycle); // left for the backend to refuse
  });

  it("keeps a __proto__ key of a write entry as an own key", () => {
    const w = JSON.parse(`{"node":"a","channel":"c","value":${JSON.stringify(long.content)},"__proto__":{"x":1}}`) as Record<string, unknown>;
    const packed = packMetadata({ writes: [w] }).writes[0] as Record<string, unknown> & { $z: string };
    expect(Object.keys(packed)).toContain("__proto__");
    expect(JSON.stringify(unpackWrite(packed))).toBe(JSON.stringify(w));
  });
});

describe("the codec reads packed writes", () => {
  it("derives the same payloads from a packed write as from the plain one", () => {
    const md = {
      writes: [
        { node: "a", channel: "msgs", value: [long] },
        { node: "b", channel: "msgs", value: long },
        { node: "a", channel: "draft", value: long.content },
      ],
    };
    const packed = packMetadata(md);
    forgetPackedTexts();
    for (const ch of ["msgs", "draft"]) {
      expect(derivedPayload("w", packed, ch)).toBe(derivedPayload("w", md, ch));
      expect(derivedPayload("l", packed, ch)).toBe(derivedPayload("l", md, ch));
      expect(channelWrites(packed, ch)).toEqual(channelWrites(md, ch));
    }
  });

  it("reports a damaged packed value as a corrupt checkpoint naming it and the channel", () => {
    const w = packMetadata({ writes: [{ node: "a", channel: "draft", value: long.content }] }).writes[0] as unknown as Record<string, unknown> & {
      $z: string;
    };
    const z = w[PACKED_KEY];
    for (const bad of [z.slice(0, -6), z.slice(0, 12) + (z[12] === "Q" ? "R" : "Q") + z.slice(13), "%%%"]) {
      forgetPackedTexts();
      let err: unknown;
      try {
        packedText({ ...w, [PACKED_KEY]: bad } as Record<string, unknown> & { $z: string }, "cp-1");
      } catch (e) {
        err = e;
      }
      expect(isWaypointError(err, "CORRUPT_CHECKPOINT")).toBe(true);
      expect((err as Error).message).toBe('Checkpoint "cp-1" cannot be read: its compressed write to "draft" is damaged.');
    }
  });
});

describe("re-encryption of a packed row", () => {
  it("seals a packed write as its value (sealed values are stored uncompressed)", () => {
    const ring = createKeyring(randomBytes(32).toString("base64"));
    const packed = packMetadata({ source: "loop", writes: [{ node: "a", channel: "draft", value: long.content }] });
    const resealed = new Resealer(ring).metadata(packed) as { writes: Record<string, unknown>[] };
    expect(Object.keys(resealed.writes[0])).toEqual(["node", "channel", "value"]);
    expect(openSealed(ring, resealed.writes[0].value as string)).toBe(long.content);
  });
});

describe("compressed delta payloads", () => {
  const items = JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ i, note: `entry ${i} of the review log, kept in order` })));
  const ops: ChannelOp[] = [
    { channel: "log", kind: "a", payload: items },
    { channel: "draft", kind: "s", payload: JSON.stringify(long.content) },
    { channel: "n", kind: "s", payload: "3" },
    { channel: "pad", kind: "l", payload: "" },
    { channel: "gone", kind: "d", payload: "" },
    { channel: "h", kind: "s", payload: JSON.stringify(randomBytes(400).toString("hex")) },
  ];

  it("stores long compressible payloads as A/S and reads them back as the a/s they were", () => {
    const text = encodeOps(ops, true);
    const header = JSON.parse(text.slice(0, text.indexOf("\n"))) as [string, string, number][];
    expect(header.map((h) => h[1])).toEqual(["A", "S", "s", "l", "d", "s"]);
    expect(text.length).toBeLessThan(encodeOps(ops).length * 0.6);
    expect(decodeOps("cp-1", text)).toEqual(ops);
    expect(encodeOps(ops).length).toBe(
      JSON.stringify(ops.map((o) => [o.channel, o.kind, o.payload.length])).length + 1 + ops.reduce((n, o) => n + o.payload.length, 0),
    );
  });

  it("reports a damaged compressed payload naming the checkpoint and the channel", () => {
    const text = encodeOps(ops, true);
    const at = text.indexOf("\n") + 20;
    const damaged = text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
    let err: unknown;
    try {
      decodeOps("cp-9", damaged);
    } catch (e) {
      err = e;
    }
    expect(isWaypointError(err, "CORRUPT_CHECKPOINT")).toBe(true);
    expect((err as Error).message).toBe('Checkpoint "cp-9" cannot be rebuilt: its compressed delta of "log" is damaged.');
  });
});
