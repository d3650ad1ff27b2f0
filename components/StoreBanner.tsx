"use client";
import { useQuery } from "@tanstack/react-query";

type Health = { ok: boolean; store?: string; error?: { code: string; message: string } };

/**
 * A banner across every page while the checkpoint store is unreachable (GET /api/health answers 503 within the
 * store timeout): it says which store and why, instead of pages spinning. Health is checked every 15 s, every
 * 3 s while the store is down; the banner goes away by itself when it is back (runs it stopped continue then).
 */
export function StoreBanner() {
  const health = useQuery<Health>({
    queryKey: ["health"],
    queryFn: async () => {
      try {
        const res = await fetch("/api/health", { cache: "no-store", headers: { accept: "application/json" } });
        const body = (await res.json().catch(() => null)) as Health | null;
        return body ?? { ok: res.ok, error: res.ok ? undefined : { code: `HTTP_${res.status}`, message: `The server answered ${res.status}.` } };
      } catch (err) {
        return { ok: false, error: { code: "NETWORK", message: `Cannot reach the server: ${(err as Error).message}` } };
      }
    },
    refetchInterval: (q) => (q.state.data?.ok === false ? 3_000 : 15_000),
    retry: false,
  });
  const h = health.data;
  if (!h || h.ok) return null;
  return (
    <div role="alert" data-testid="store-banner" className="border-b border-amber-300 bg-amber-50 px-4 py-2 text-sm text-amber-900">
      <div className="mx-auto max-w-[1600px]">
        <strong>{h.error?.code === "NETWORK" ? "The server cannot be reached." : "The checkpoint store is unreachable."}</strong> {h.error?.message}{" "}
        Pages show their last data; runs the outage stopped continue by themselves once it is back.
      </div>
    </div>
  );
}
