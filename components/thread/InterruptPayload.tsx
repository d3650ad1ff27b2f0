"use client";
import JsonView from "@uiw/react-json-view";
import { useEffect, useRef, useState } from "react";

/** The interrupt's payload as a reviewer reads it: top-level fields as labelled blocks, text kept as written. */
function Payload({ value }: { value: unknown }) {
  if (!value || typeof value !== "object" || Array.isArray(value))
    return <pre className="whitespace-pre-wrap font-mono">{JSON.stringify(value ?? null, null, 2)}</pre>;
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-3 gap-y-1.5">
      {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="font-medium text-slate-500">{k}</dt>
          <dd className="min-w-0">
            {typeof v === "string" ? (
              <p data-field={k} className="whitespace-pre-wrap break-words text-slate-900">
                {v}
              </p>
            ) : v && typeof v === "object" ? (
              <JsonView value={v as object} displayDataTypes={false} collapsed={2} enableClipboard={false} />
            ) : (
              <code className="font-mono text-indigo-700">{JSON.stringify(v)}</code>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * The payload's box, scrolled on its own when long (smaller while a form is open). A box that scrolls can be
 * focused (Tab, then the arrow keys) and is named as a region, so it is readable without a mouse; one that fits
 * adds no Tab stop, keeping the decisions a Tab or two away.
 */
export function PayloadBox({ value, compact, children }: { value: unknown; compact: boolean; children?: React.ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const check = () => setScrolls(el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1);
    check();
    const observer = new ResizeObserver(check);
    observer.observe(el);
    for (const child of Array.from(el.children)) observer.observe(child);
    return () => observer.disconnect();
  }, [value, compact, children]);
  return (
    <div
      ref={box}
      data-testid="interrupt-payload"
      tabIndex={scrolls ? 0 : undefined}
      role={scrolls ? "region" : undefined}
      aria-label={scrolls ? "The interrupt's payload" : undefined}
      className={`mt-2 overflow-auto rounded bg-white p-2 text-xs ring-1 ring-amber-200 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 ${compact ? "max-h-32" : "max-h-48"}`}
    >
      {children ?? <Payload value={value} />}
    </div>
  );
}
