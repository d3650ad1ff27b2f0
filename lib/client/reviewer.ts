"use client";
import { useCallback, useSyncExternalStore } from "react";

/**
 * Who is reviewing: recorded as `actor` on edits and forks. Kept in localStorage (there are no accounts),
 * shared by every tab through the storage event.
 */
const KEY = "waypoint.reviewer";
const DEFAULT = "reviewer";
const listeners = new Set<() => void>();

function read(): string {
  try {
    return localStorage.getItem(KEY) ?? DEFAULT;
  } catch {
    return DEFAULT;
  }
}

function subscribe(fn: () => void) {
  listeners.add(fn);
  window.addEventListener("storage", fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener("storage", fn);
  };
}

export function useReviewer(): [string, (name: string) => void] {
  const name = useSyncExternalStore(subscribe, read, () => DEFAULT);
  const set = useCallback((next: string) => {
    try {
      // Stored as typed (even empty, so the field can be cleared); forms send no actor when it is blank.
      localStorage.setItem(KEY, next);
    } catch {
      // private mode: keep the default
    }
    listeners.forEach((l) => l());
  }, []);
  return [name, set];
}
