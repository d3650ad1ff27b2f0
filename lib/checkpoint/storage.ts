/**
 * Per-thread storage accounting (`CheckpointStore.storage`): every backend lists each checkpoint's stored
 * bytes and form, and this builds the same report from them.
 */
import type { ThreadStorage } from "./types";

export interface RowSize {
  id: string;
  version: number;
  step: number;
  bytes: number;
  snapshot: boolean;
}

export function storageReport(threadId: string, rows: RowSize[]): ThreadStorage {
  let bytes = 0;
  let snapshots = 0;
  for (const r of rows) {
    bytes += r.bytes;
    if (r.snapshot) snapshots++;
  }
  const largest = [...rows]
    .sort((a, b) => b.bytes - a.bytes || b.version - a.version)
    .slice(0, 10)
    .map((r) => ({ id: r.id, version: r.version, step: r.step, bytes: r.bytes, snapshot: r.snapshot }));
  return { threadId, bytes, checkpoints: rows.length, snapshots, deltas: rows.length - snapshots, largest };
}
