"use client";
import { useCallback, useEffect, useMemo, useState } from "react";
import type { Checkpoint, Thread } from "@/lib/client/types";

/**
 * Finding things in a thread's timeline: "go to" a version or step, and filters by node, source and author.
 * The filters live in the URL (?node=&src=&by=, next to ?cp=) so a filtered timeline can be shared.
 */

export interface TimelineFilter {
  node: string;
  source: string;
  author: string;
}
const NONE: TimelineFilter = { node: "", source: "", author: "" };
const PARAM: Record<keyof TimelineFilter, string> = { node: "node", source: "src", author: "by" };

/** Source filter choices: the checkpoint sources, plus checkpoints that held an interrupt or where a step failed. */
export const SOURCE_CHOICES: [string, string][] = [
  ["", "Any source"],
  ["input", "Inputs"],
  ["loop", "Steps"],
  ["update", "Human edits"],
  ["fork", "Forks"],
  ["interrupt", "Interrupts"],
  ["error", "Errors"],
];

export type Target = { kind: "version" | "step"; n: number };

/** "v1234", "1234", "#1234" = version 1234; "s12", "step 12" = step 12 (-1 = the input). Null if unreadable. */
export function parseTarget(text: string): Target | null {
  const t = text.trim().toLowerCase();
  const step = /^(?:s|step)\s*(-?\d{1,9})$/.exec(t);
  if (step) return { kind: "step", n: Number(step[1]) };
  const version = /^(?:v|version|#)?\s*(\d{1,9})$/.exec(t);
  if (version) return { kind: "version", n: Number(version[1]) };
  return null;
}

/** The checkpoint a target names: a step on the branch of `from` if there is one, else its first occurrence. */
export function findTarget(all: Checkpoint[], target: Target, from: string | null): Checkpoint | undefined {
  if (target.kind === "version") return all.find((c) => c.version === target.n);
  const byId = new Map(all.map((c) => [c.checkpointId, c]));
  for (let c = from ? byId.get(from) : undefined; c; c = c.parentId ? byId.get(c.parentId) : undefined) if (c.step === target.n) return c;
  let best: Checkpoint | undefined;
  for (const c of all) if (c.step === target.n && (!best || c.version < best.version)) best = c;
  return best;
}

/** Whether a checkpoint passes the filter; `errorAt` is the checkpoint the thread's failed step started from. */
export function passes(f: TimelineFilter, c: Checkpoint, errorAt: string | null): boolean {
  if (f.node && !c.nodeName.split(",").includes(f.node)) return false;
  if (f.author && c.metadata?.actor !== f.author) return false;
  if (!f.source) return true;
  if (f.source === "interrupt") return c.interrupts?.length > 0;
  if (f.source === "error") return c.checkpointId === errorAt;
  return (c.metadata?.source ?? "loop") === f.source;
}

function readUrl(): TimelineFilter {
  const q = new URLSearchParams(window.location.search);
  return { node: q.get(PARAM.node) ?? "", source: q.get(PARAM.source) ?? "", author: q.get(PARAM.author) ?? "" };
}

function writeUrl(f: TimelineFilter) {
  const url = new URL(window.location.href);
  for (const k of Object.keys(PARAM) as (keyof TimelineFilter)[]) {
    if (f[k]) url.searchParams.set(PARAM[k], f[k]);
    else url.searchParams.delete(PARAM[k]);
  }
  window.history.replaceState(null, "", url);
}

/**
 * Go-to and filter state for a thread's timeline. A target not loaded yet (a long history arrives in pages) is
 * kept pending and selected as soon as its page lands; one that does not exist says so.
 */
export function useTimelineFind(all: Checkpoint[], thread: Thread | undefined, selectedId: string | null, select: (id: string) => void) {
  const [filter, setFilterState] = useState<TimelineFilter>(NONE);
  const [pending, setPending] = useState<{ target: Target; text: string } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    // After hydration on purpose: the server render has no URL query to read.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setFilterState(readUrl());
  }, []);
  const setFilter = useCallback((f: TimelineFilter) => {
    setFilterState(f);
    setMessage(null);
    writeUrl(f);
  }, []);
  const errorAt = thread?.status === "error" ? (thread.error?.checkpointId ?? null) : null;
  const active = Boolean(filter.node || filter.source || filter.author);
  const match = useMemo(() => (active ? (c: Checkpoint) => passes(filter, c, errorAt) : undefined), [active, filter, errorAt]);
  const complete = thread !== undefined && all.length >= thread.checkpointCount;

  const land = useCallback(
    (c: Checkpoint) => {
      // A filter that would hide the target is dropped: going somewhere must show it.
      if (match && !match(c)) setFilter(NONE);
      select(c.checkpointId);
      setMessage(null);
      setPending(null);
    },
    [match, select, setFilter],
  );

  /** Returns false when the text is not a version or step. */
  const goTo = (text: string): boolean => {
    const target = parseTarget(text);
    if (!target) {
      setMessage(`“${text}” is not a version (v1234) or a step (s12).`);
      return false;
    }
    const found = findTarget(all, target, selectedId);
    if (found) land(found);
    else if (!complete) {
      setPending({ target, text });
      setMessage(`Loading the history to reach ${text.trim()}…`);
    } else setMessage(`No checkpoint ${target.kind === "version" ? `v${target.n}` : `at step ${target.n}`} in this thread.`);
    return true;
  };

  // A pending target: select it once its page has loaded, or say it is not there once all have.
  useEffect(() => {
    if (!pending) return;
    const found = findTarget(all, pending.target, selectedId);
    // eslint-disable-next-line react-hooks/set-state-in-effect -- settles a request made before the pages arrived
    if (found) land(found);
    else if (complete) {
      setPending(null);
      setMessage(`No checkpoint ${pending.target.kind === "version" ? `v${pending.target.n}` : `at step ${pending.target.n}`} in this thread.`);
    }
  }, [all, pending, complete, selectedId, land]);

  const choices = useMemo(() => {
    const nodes = new Set<string>();
    const authors = new Set<string>();
    for (const c of all) {
      for (const n of c.nodeName.split(",")) if (n && !n.startsWith("__")) nodes.add(n);
      if (typeof c.metadata?.actor === "string" && c.metadata.actor) authors.add(c.metadata.actor);
    }
    return { nodes: [...nodes].sort(), authors: [...authors].sort() };
  }, [all]);

  /** Forgets the last go-to's message (not a pending target: that still lands when its page arrives). */
  const dismiss = () => {
    if (!pending) setMessage(null);
  };
  return { filter, setFilter, clear: () => setFilter(NONE), active, match, goTo, dismiss, message, pending: pending !== null, choices };
}

export type TimelineFind = ReturnType<typeof useTimelineFind>;
