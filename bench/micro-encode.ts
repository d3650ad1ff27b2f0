/**
 * `npx tsx bench/micro-encode.ts [--threads 200] [--rounds 7]` — the delta codec's cost per save on the main
 * workload's shape, without a store or the engine in the timing: the saves of --threads invokes of the 10-node
 * chain (bench/workload.ts) are recorded once from a real run on the memory store, then replayed through fresh
 * codecs (encode + remember, as a store does). Also prints JSON.stringify of each whole state, what a save cost
 * before delta storage, as the floor. CPU time per round, median and minimum of --rounds rounds (the minimum is
 * the steadier figure on a shared machine). `--against <dir>` also times the codec of another checkout
 * (lib/checkpoint/delta.ts under <dir>), alternating rounds with this one, so both see the same load: how
 * codec changes were decided (issue 10).
 */
import { DeltaCodec } from "../lib/checkpoint/delta";
import { createMemoryStore, type MemoryCheckpointStore } from "../lib/checkpoint/memory";
import type { NewCheckpoint } from "../lib/checkpoint/types";
import { chainGraph, loopGraph } from "./workload";
import { median } from "./stats";

const argv = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? def : Number(argv[i + 1]);
};
const threads = arg("threads", 200);
const rounds = arg("rounds", 7);
const loopSteps = arg("loop", 1000);
const againstAt = argv.indexOf("--against");
type Codec = new () => DeltaCodec;
const other: Codec | null =
  againstAt < 0 ? null : ((await import(`${argv[againstAt + 1]}/lib/checkpoint/delta.ts`)) as { DeltaCodec: Codec }).DeltaCodec;

/** Records every save's input and metadata text (deep copies: the engine's objects are live). */
async function record(run: (store: MemoryCheckpointStore) => Promise<void>): Promise<{ input: NewCheckpoint; metadataJson: string }[]> {
  const saves: { input: NewCheckpoint; metadataJson: string }[] = [];
  const orig = DeltaCodec.prototype.encode;
  DeltaCodec.prototype.encode = function (this: DeltaCodec, input: NewCheckpoint, metadataJson: string) {
    saves.push({ input: structuredClone(input), metadataJson });
    return orig.call(this, input, metadataJson);
  };
  try {
    await run(await createMemoryStore());
  } finally {
    DeltaCodec.prototype.encode = orig;
  }
  return saves;
}

type Saves = { input: NewCheckpoint; metadataJson: string }[];

/** One round: CPU µs per save. */
function round(saves: Saves, what: "stringify" | Codec): number {
  const codec = what === "stringify" ? null : new what();
  let sink = 0;
  const c0 = process.cpuUsage();
  for (const s of saves) {
    if (codec === null) sink += JSON.stringify(s.input.state).length;
    else {
      const row = codec.encode(s.input, s.metadataJson);
      sink += row.ops?.length ?? row.state!.length;
      codec.remember(row.entry);
    }
  }
  const cpu = process.cpuUsage(c0);
  if (sink < 0) console.log(sink);
  return (cpu.user + cpu.system) / saves.length;
}

const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (min ${Math.min(...xs).toFixed(1)})`;

/** Rounds of each contender, alternating; median and minimum CPU µs per save of each. */
function time(saves: Saves, contenders: ("stringify" | Codec)[]): string[] {
  const out: number[][] = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) contenders.forEach((c, i) => out[i].push(round(saves, c)));
  return out.map(fmt);
}

const chainSaves = await record(async (store) => {
  const g = chainGraph(store);
  for (let i = 0; i < threads; i++) await g.invoke({ counter: 0 }, { threadId: `t${i}` });
});
const loopSaves = await record(async (store) => {
  await loopGraph(store, loopSteps).invoke({ counter: 0 }, { threadId: "loop", recursionLimit: loopSteps + 10 });
});
for (const [name, saves] of [
  ["chain", chainSaves],
  ["loop", loopSaves],
] as const) {
  const codec = new DeltaCodec();
  let bytes = 0;
  let snaps = 0;
  for (const s of saves) {
    const row = codec.encode(s.input, s.metadataJson);
    bytes += (row.ops ?? row.state!).length;
    if (row.state !== null) snaps++;
    codec.remember(row.entry);
  }
  const contenders: ("stringify" | Codec)[] = [DeltaCodec, "stringify", ...(other ? [other] : [])];
  time(saves, contenders); // warm-up
  const [ours, floor, theirs] = time(saves, contenders);
  console.log(
    `${name}: ${saves.length} saves; codec ${ours} µs/save${theirs ? `; --against codec ${theirs}` : ""}; stringify floor ${floor}; ` +
      `state-or-ops chars/save ${(bytes / saves.length).toFixed(0)}; snapshots ${snaps}`,
  );
}
