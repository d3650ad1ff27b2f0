import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import readline from "node:readline";
import type { Writable } from "node:stream";
import { WaypointError, isThreadNotFound } from "../errors";
import type { CheckpointStore, ThreadInfo } from "../checkpoint/types";
import {
  FORMAT,
  FORMAT_VERSION,
  recordPatch,
  sameRecord,
  selectThreads,
  threadCheckpoints,
  threadDigest,
  type ArchiveLine,
  type ThreadSelection,
} from "./archive";
import { auditEntries, checkAuditRow, importAuditEntry, type AuditDb } from "./audit";

/** Progress callbacks (a bar in a terminal, nothing in scripts). */
export interface Progress {
  total?(n: number): void;
  tick?(checkpoints: number, threadId: string): void;
  /** A line for the operator about a wait or a skip the figures alone would not explain. */
  note?(message: string): void;
}

export interface TransferReport {
  threads: number;
  checkpoints: number;
  /** Audit entries exported, or read by an import (see `auditWritten`). */
  audit?: number;
  /** Import: audit entries inserted (the others were there already); -1 when there was no accounts database to write them to. */
  auditWritten?: number;
  /** Checkpoints written (an import or migration that finds them already there writes none). */
  written: number;
  ms: number;
}

async function write(out: Writable, line: ArchiveLine): Promise<void> {
  if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, "drain");
}

const everything = (sel: ThreadSelection) => !sel.threadIds?.length && !sel.graphId && !sel.status && sel.olderThanMs === undefined;

/**
 * Writes the selected threads, whole, as JSON Lines to `file` ("-": standard output). With `audit` (the accounts
 * database), also the audit entries: all of them for an export of everything, else those of the exported threads.
 */
export async function exportThreads(
  store: CheckpointStore,
  sel: ThreadSelection,
  file: string,
  progress: Progress = {},
  audit: AuditDb | null = null,
): Promise<TransferReport> {
  const t0 = Date.now();
  const out: Writable = file === "-" ? process.stdout : createWriteStream(file, { encoding: "utf8" });
  const report: TransferReport = { threads: 0, checkpoints: 0, written: 0, ms: 0, ...(audit ? { audit: 0 } : {}) };
  const exported: string[] = [];
  try {
    const version = audit ? FORMAT_VERSION : 1;
    await write(out, { type: "header", format: FORMAT, version, exportedAt: new Date().toISOString(), store: store.kind });
    for await (const thread of selectThreads(store, sel)) {
      exported.push(thread.threadId);
      progress.total?.(thread.checkpointCount);
      await write(out, { type: "thread", thread });
      report.threads++;
      for await (const checkpoint of threadCheckpoints(store, thread.threadId)) {
        await write(out, { type: "checkpoint", checkpoint });
        report.checkpoints++;
        report.written++;
        progress.tick?.(1, thread.threadId);
      }
    }
    if (audit) {
      for await (const entry of auditEntries(audit, everything(sel) ? undefined : exported)) {
        await write(out, { type: "audit", entry });
        report.audit!++;
      }
    }
    await write(out, { type: "end", threads: report.threads, checkpoints: report.checkpoints, ...(audit ? { audit: report.audit } : {}) });
  } finally {
    if (out !== process.stdout) {
      out.end();
      await once(out, "finish");
    }
  }
  report.ms = Date.now() - t0;
  return report;
}

/** Sets the target's thread record fields from the source's, unless they already match (re-imports change nothing). */
async function settleRecord(target: CheckpointStore, source: ThreadInfo): Promise<void> {
  const current = await target.getThread(source.threadId).catch((e) => (isThreadNotFound(e) ? null : Promise.reject(e)));
  if (!current || !sameRecord(current, source)) await target.updateThread(source.threadId, recordPatch(source));
}

/**
 * Reads an export into `target`, in file order. Idempotent: checkpoints already there are left as they are
 * (`importCheckpoint` answers false) and matching thread records are not touched, so a second import of the
 * same file changes nothing; an interrupted import is finished by running it again. Audit entries go to `audit`
 * (the accounts database), each inserted once by id; without one they are counted and reported, not written.
 */
export async function importFile(
  target: CheckpointStore,
  file: string,
  progress: Progress = {},
  audit: AuditDb | null = null,
): Promise<TransferReport> {
  const t0 = Date.now();
  const input = file === "-" ? process.stdin : createReadStream(file, { encoding: "utf8" });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const report: TransferReport = { threads: 0, checkpoints: 0, written: 0, ms: 0, audit: 0, auditWritten: audit ? 0 : -1 };
  let current: ThreadInfo | null = null;
  let n = 0;
  let ended = false;
  const bad = (why: string) => new WaypointError("INVALID_ARGUMENT", `${file}, line ${n}: ${why}`);
  for await (const text of lines) {
    n++;
    if (!text.trim()) continue;
    let line: ArchiveLine;
    try {
      line = JSON.parse(text) as ArchiveLine;
    } catch {
      throw bad("not JSON; is this a file written by `waypoint export`?");
    }
    if (n === 1) {
      if (line.type !== "header" || line.format !== FORMAT) throw bad(`not a Waypoint export (no "${FORMAT}" header).`);
      if (line.version > FORMAT_VERSION) throw bad(`written by a newer Waypoint (format ${line.version}); update this one.`);
      continue;
    }
    if (line.type === "thread") {
      if (current) await settleRecord(target, current);
      current = line.thread;
      report.threads++;
      progress.total?.(current.checkpointCount);
    } else if (line.type === "checkpoint") {
      if (!current || line.checkpoint.threadId !== current.threadId) throw bad("a checkpoint outside its thread's section.");
      if (await target.importCheckpoint(line.checkpoint)) report.written++;
      report.checkpoints++;
      progress.tick?.(1, current.threadId);
    } else if (line.type === "audit") {
      let entry;
      try {
        entry = checkAuditRow(line.entry);
      } catch (e) {
        throw bad((e as Error).message);
      }
      if (audit && (await importAuditEntry(audit, entry))) report.auditWritten!++;
      report.audit!++;
    } else if (line.type === "end") {
      ended = true;
      if (line.checkpoints !== report.checkpoints || line.threads !== report.threads)
        throw bad(`the file says ${line.threads} threads and ${line.checkpoints} checkpoints; read ${report.threads} and ${report.checkpoints}.`);
      if (line.audit !== undefined && line.audit !== report.audit) throw bad(`the file says ${line.audit} audit entries; read ${report.audit}.`);
    } else throw bad(`unknown line type ${JSON.stringify((line as { type?: unknown }).type)}.`);
  }
  if (current) await settleRecord(target, current);
  if (n === 0) throw bad("the file is empty.");
  if (!ended)
    throw new WaypointError("INVALID_ARGUMENT", `${file} ends without its "end" line: the export was cut short (what was read is imported).`);
  report.ms = Date.now() - t0;
  return report;
}

export interface MigrationReport extends TransferReport {
  /** Threads already complete in the target (skipped: a resumed migration). */
  skipped: number;
  /** Per-thread comparison after copying: threads whose checkpoints differ between the stores (should be none). */
  mismatched: string[];
  verified: boolean;
}

/**
 * Copies every selected thread from `source` to `target`, then compares the two: per thread, the count and a
 * digest of every checkpoint's content (canonical JSON, so stores that reorder keys compare equal). Resumable:
 * a thread whose digest already matches is skipped, a half-copied one is finished (imports are idempotent).
 */
export async function migrate(
  source: CheckpointStore,
  target: CheckpointStore,
  sel: ThreadSelection,
  progress: Progress = {},
): Promise<MigrationReport> {
  const t0 = Date.now();
  const report: MigrationReport = { threads: 0, checkpoints: 0, written: 0, ms: 0, skipped: 0, mismatched: [], verified: false };
  const copied: { thread: ThreadInfo; digest: string; checkpoints: number }[] = [];
  for await (const thread of selectThreads(source, sel)) {
    report.threads++;
    progress.total?.(thread.checkpointCount);
    const src = await threadDigest(source, thread.threadId);
    const have = await target.getThread(thread.threadId).catch((e) => (isThreadNotFound(e) ? null : Promise.reject(e)));
    if (have && have.checkpointCount === src.checkpoints && (await threadDigest(target, thread.threadId)).digest === src.digest) {
      if (!sameRecord(have, thread)) await target.updateThread(thread.threadId, recordPatch(thread));
      report.skipped++;
      report.checkpoints += src.checkpoints;
      progress.tick?.(src.checkpoints, thread.threadId);
    } else {
      for await (const c of threadCheckpoints(source, thread.threadId)) {
        if (await target.importCheckpoint(c)) report.written++;
        report.checkpoints++;
        progress.tick?.(1, thread.threadId);
      }
      await settleRecord(target, thread);
    }
    copied.push({ thread, ...src });
  }
  for (const { thread, digest, checkpoints } of copied) {
    const got = await threadDigest(target, thread.threadId);
    if (got.digest !== digest || got.checkpoints !== checkpoints) report.mismatched.push(thread.threadId);
  }
  report.verified = report.mismatched.length === 0;
  report.ms = Date.now() - t0;
  return report;
}
