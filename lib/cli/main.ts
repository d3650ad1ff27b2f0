import { Command, InvalidArgumentError, Option } from "commander";
import cliProgress from "cli-progress";
import { applyRetention, parseDuration } from "../checkpoint/retention";
import { THREAD_STATUSES, type CheckpointStore, type ThreadStatus } from "../checkpoint/types";
import { isWaypointError } from "../errors";
import type { ThreadSelection } from "./archive";
import { openAuditDb, type AuditDb } from "./audit";
import { storeStats } from "./stats";
import { keyringFromEnv } from "../checkpoint/crypto";
import { reencrypt } from "./reencrypt";
import { describeStore, openStore, storeConfigFromUrl } from "./store-url";
import { exportThreads, importFile, migrate, type Progress } from "./transfer";
import { verifyStore } from "./verify";

/**
 * `npx waypoint <command>`: the operator's command line (bin/waypoint.mjs loads this file). Every command names
 * its store with --store (file:…, postgres://…, redis://…, dir:…; default: the server's environment), prints a
 * human summary (or --json), shows a progress bar in a terminal, and exits 0 on success, 1 when it found a
 * problem (verify, migrate's comparison), 2 on a usage or connection error.
 */
const STORE_HELP =
  "file:<sqlite file> | postgres://… | redis://…[?prefix=p] | dir:<folder> (default: CHECKPOINT_STORE, DATABASE_URL, … from the environment)";

const duration = (v: string) => {
  try {
    return parseDuration(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};
const status = (v: string): ThreadStatus => {
  if (!(THREAD_STATUSES as readonly string[]).includes(v)) throw new InvalidArgumentError(`a status is one of ${THREAD_STATUSES.join(", ")}.`);
  return v as ThreadStatus;
};
const statuses = (v: string) => v.split(",").map((s) => status(s.trim()));
const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("a whole number of at least 1.");
  return n;
};
const collect = (v: string, prev: string[] = []) => [...prev, v];

interface SelectOpts {
  thread?: string[];
  graph?: string;
  status?: ThreadStatus;
  olderThan?: number;
}
const selection = (o: SelectOpts): ThreadSelection => ({ threadIds: o.thread, graphId: o.graph, status: o.status, olderThanMs: o.olderThan });
const selectOptions = (c: Command) =>
  c
    .option("--thread <id>", "only this thread (repeat for more)", collect)
    .option("--graph <id>", "only this graph's threads")
    .option("--status <status>", `only threads with this status (${THREAD_STATUSES.join(", ")})`, status)
    .option("--older-than <duration>", "only threads not updated for this long (30d, 12h, 90m)", duration);

/** A progress bar on stderr in a terminal (checkpoints done of those announced so far); silent otherwise. */
function progressBar(enabled: boolean): Progress & { stop(): void } {
  const note = (message: string) => void process.stderr.write(`${message}\n`);
  if (!enabled || !process.stderr.isTTY) return { note, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: "{bar} {value}/{total} checkpoints · {thread}", hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let total = 0;
  let started = false;
  return {
    total(n) {
      total += n;
      if (!started) bar.start(total, 0, { thread: "" });
      else bar.setTotal(total);
      started = true;
    },
    tick(n, threadId) {
      bar.increment(n, { thread: threadId });
    },
    note(message) {
      // Above the bar, which is drawn again below it.
      if (started) process.stderr.write("\r\x1b[2K");
      note(message);
      if (started) bar.render();
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

async function withStore<T>(url: string | undefined, fn: (s: CheckpointStore) => Promise<T>): Promise<T> {
  const store = await openStore(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const ACCOUNTS_HELP =
  "the accounts database holding the audit trail (file:... or postgres://..., the server's DATABASE_URL); default: the store's own when it is SQLite or PostgreSQL";

/** Runs `fn` with the accounts database (`accounts` false: none), closing what it opened. */
async function withAudit<T>(store: CheckpointStore, accounts: string | undefined | false, fn: (db: AuditDb | null) => Promise<T>): Promise<T> {
  const db = accounts === false ? null : await openAuditDb(store, accounts);
  try {
    return await fn(db);
  } finally {
    await db?.close();
  }
}

const rate = (n: number, ms: number) => `${Math.round(n / Math.max(ms / 1000, 0.001)).toLocaleString("en")} checkpoints/s`;

export function program(out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Command {
  const cli = new Command("waypoint")
    .description("Operate a Waypoint checkpoint store: export, import, migrate, verify, prune, stats, reencrypt.")
    .showHelpAfterError();
  const print = (json: boolean | undefined, value: unknown, text: string) => out(json ? JSON.stringify(value, null, 2) : text);

  selectOptions(cli.command("export").description("Write threads (every checkpoint, branch and pending write) to JSON Lines."))
    .option("--store <url>", STORE_HELP)
    .option("--out <file>", "the file to write (- for standard output)", "-")
    .option("--accounts <url>", ACCOUNTS_HELP)
    .option("--no-audit", "leave the audit entries out")
    .action(async (o: SelectOpts & { store?: string; out: string; accounts?: string; audit: boolean }) => {
      const bar = progressBar(o.out !== "-");
      const r = await withStore(o.store, (s) =>
        withAudit(s, o.audit ? o.accounts : false, (db) => exportThreads(s, selection(o), o.out, bar, db)),
      ).finally(() => bar.stop());
      const audit =
        r.audit === undefined ? (o.audit ? " (no audit entries: no accounts database; give --accounts)" : "") : `, ${r.audit} audit entries`;
      if (o.out !== "-") out(`Exported ${r.threads} threads, ${r.checkpoints} checkpoints${audit} to ${o.out} (${rate(r.checkpoints, r.ms)}).`);
    });

  cli
    .command("import")
    .description("Read an export into a store. Idempotent: importing the same file again changes nothing.")
    .requiredOption("--file <file>", "the export to read (- for standard input)")
    .option("--store <url>", STORE_HELP)
    .option("--accounts <url>", ACCOUNTS_HELP)
    .action(async (o: { file: string; store?: string; accounts?: string }) => {
      const bar = progressBar(true);
      const r = await withStore(o.store, (s) => withAudit(s, o.accounts, (db) => importFile(s, o.file, bar, db))).finally(() => bar.stop());
      out(
        `Imported ${r.threads} threads, ${r.checkpoints} checkpoints into ${describeStore(o.store)}: ${r.written} written, ${r.checkpoints - r.written} already there (${rate(r.checkpoints, r.ms)}).`,
      );
      if (r.audit)
        out(
          r.auditWritten === -1
            ? `${r.audit} audit entries NOT imported: this store has no accounts database; give --accounts <url> (the server's DATABASE_URL).`
            : `Audit: ${r.audit} entries, ${r.auditWritten} written, ${r.audit - r.auditWritten!} already there.`,
        );
    });

  selectOptions(cli.command("migrate").description("Copy threads from one store to another, then compare them thread by thread. Resumable."))
    .requiredOption("--from <url>", "the store to read")
    .requiredOption("--to <url>", "the store to write")
    .option("--json", "print the report as JSON")
    .action(async (o: SelectOpts & { from: string; to: string; json?: boolean }) => {
      const bar = progressBar(!o.json);
      const r = await withStore(o.from, (src) => withStore(o.to, (dst) => migrate(src, dst, selection(o), bar))).finally(() => bar.stop());
      print(
        o.json,
        r,
        [
          `Migrated ${r.threads} threads, ${r.checkpoints} checkpoints from ${describeStore(o.from)} to ${describeStore(o.to)} in ${(r.ms / 1000).toFixed(1)} s (${rate(r.checkpoints, r.ms)}).`,
          `${r.written} checkpoints written, ${r.skipped} threads already complete.`,
          r.verified
            ? `Verified: every thread has the same checkpoints in both stores (count and content digest).`
            : `MISMATCH in ${r.mismatched.length} threads: ${r.mismatched.slice(0, 20).join(", ")}`,
        ].join("\n"),
      );
      if (!r.verified) process.exitCode = 1;
    });

  selectOptions(cli.command("verify").description("Check a store's integrity: links, versions, thread records, every state rebuilds."))
    .option("--store <url>", STORE_HELP)
    .option("--repair", "fix what is safe to fix (a thread left 'running' with no run)")
    .option("--json", "print the report as JSON")
    .action(async (o: SelectOpts & { store?: string; repair?: boolean; json?: boolean }) => {
      const bar = progressBar(!o.json);
      const r = await withStore(o.store, (s) => verifyStore(s, selection(o), { repair: o.repair, progress: bar })).finally(() => bar.stop());
      const left = r.problems.filter((p) => !p.repaired);
      print(
        o.json,
        r,
        [
          `Checked ${r.threads} threads, ${r.checkpoints} checkpoints in ${describeStore(o.store)}.`,
          ...r.problems.map(
            (p) =>
              `${p.repaired ? "repaired" : "PROBLEM"} ${p.code} thread ${p.threadId}${p.checkpointId ? ` checkpoint ${p.checkpointId}` : ""}: ${p.message}`,
          ),
          left.length
            ? `${left.length} problems${left.some((p) => p.repairable) ? " (--repair fixes those marked repairable)" : ""}.`
            : "No problems.",
        ].join("\n"),
      );
      if (left.length) process.exitCode = 1;
    });

  cli
    .command("prune")
    .description("Delete old threads and trim long ones. Never a running thread, never a branch tip or pending interrupt.")
    .option("--store <url>", STORE_HELP)
    .option("--graph <id>", "only this graph's threads")
    .option("--older-than <duration>", "delete threads not updated for this long (30d, 12h)", duration)
    .option("--status <list>", "statuses --older-than deletes (comma-separated)", statuses, ["done"] as ThreadStatus[])
    .option("--keep-latest <n>", "trim the other threads to their newest N checkpoints", positive)
    .addOption(new Option("--delete-interrupted", "also delete old interrupted threads (pending decisions) when --status lists interrupted"))
    .option("--dry-run", "show what would be removed; change nothing")
    .option("--json", "print the report as JSON")
    .action(
      async (o: {
        store?: string;
        graph?: string;
        olderThan?: number;
        status: ThreadStatus[];
        keepLatest?: number;
        deleteInterrupted?: boolean;
        dryRun?: boolean;
        json?: boolean;
      }) => {
        if (o.olderThan === undefined && o.keepLatest === undefined)
          throw new InvalidArgumentError("prune needs --older-than, --keep-latest or both.");
        const r = await withStore(o.store, (s) =>
          applyRetention(
            s,
            {
              graphId: o.graph,
              deleteAfterMs: o.olderThan ?? null,
              statuses: o.status,
              keepInterrupted: !o.deleteInterrupted,
              keepLatest: o.keepLatest ?? null,
            },
            { dryRun: o.dryRun },
          ),
        );
        const verb = o.dryRun ? "Would remove" : "Removed";
        print(
          o.json,
          r,
          [
            ...r.actions.map(
              (a) => `${o.dryRun ? "would " : ""}${a.action} ${a.threadId}${a.graphId ? ` (${a.graphId})` : ""}: ${a.checkpoints} checkpoints`,
            ),
            `${verb} ${r.threadsDeleted} threads and ${r.checkpointsDeleted} checkpoints (${r.threadsPruned} threads trimmed) of ${r.threadsScanned} scanned${r.busy ? `; ${r.busy} busy with a run, left for next time` : ""}.`,
          ].join("\n"),
        );
      },
    );

  selectOptions(
    cli
      .command("reencrypt")
      .description(
        "Re-encrypt every stored value in place with WAYPOINT_ENCRYPTION_KEY (from WAYPOINT_ENCRYPTION_KEYS_OLD, or written in clear). Resumable; a second run changes nothing.",
      ),
  )
    .option("--store <url>", STORE_HELP)
    .option("--dry-run", "count what would be re-encrypted; change nothing")
    .option("--json", "print the report as JSON")
    .action(async (o: SelectOpts & { store?: string; dryRun?: boolean; json?: boolean }) => {
      const bar = progressBar(!o.json);
      const ring = keyringFromEnv();
      const r = await withStore(o.store, (s) =>
        reencrypt(s, storeConfigFromUrl(o.store), ring, selection(o), { dryRun: o.dryRun, progress: bar }),
      ).finally(() => bar.stop());
      const would = o.dryRun ? "would be " : "";
      const changed = r.resealed + r.encrypted;
      print(
        o.json,
        r,
        [
          `Checked ${r.threads} threads, ${r.checkpoints} checkpoints in ${describeStore(o.store)} (current key ${r.keyId}).`,
          changed
            ? `${r.resealed} values ${would}re-encrypted from old keys, ${r.encrypted} values ${would}encrypted (were in clear), ${r.current} already current; ${r.rewritten} checkpoints ${o.dryRun ? "would be " : ""}rewritten.`
            : `Nothing to do: all ${r.current} values are already encrypted with the current key.`,
          ...(r.busy.length ? [`${r.busy.length} threads busy with a run, left as they were (run again): ${r.busy.slice(0, 20).join(", ")}`] : []),
        ].join("\n"),
      );
      if (r.busy.length) process.exitCode = 1;
    });

  selectOptions(cli.command("stats").description("Threads, checkpoints and stored bytes per graph."))
    .option("--store <url>", STORE_HELP)
    .option("--json", "print the figures as JSON")
    .action(async (o: SelectOpts & { store?: string; json?: boolean }) => {
      const r = await withStore(o.store, (s) => storeStats(s, selection(o)));
      const mb = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MiB`;
      const rows = r.graphs.map(
        (g) =>
          `${g.graphId.padEnd(24)} ${String(g.threads).padStart(8)} ${String(g.checkpoints).padStart(12)} ${mb(g.bytes).padStart(12)}   ${Object.entries(
            g.byStatus,
          )
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")}`,
      );
      print(
        o.json,
        r,
        [
          `${r.store} store: ${r.threads} threads, ${r.checkpoints} checkpoints, ${mb(r.bytes)}`,
          `${"graph".padEnd(24)} ${"threads".padStart(8)} ${"checkpoints".padStart(12)} ${"bytes".padStart(12)}   statuses`,
          ...rows,
        ].join("\n"),
      );
    });
  return cli;
}

/** Runs the command line; domain errors are one sentence on stderr and exit code 2. */
export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`waypoint: ${isWaypointError(err) || err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}
