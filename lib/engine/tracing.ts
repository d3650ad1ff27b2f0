/**
 * OpenTelemetry spans of a run, through the vendor-neutral API only: with no SDK registered (the default) every
 * call here is a no-op, so the engine costs nothing extra untraced. The server registers the SDK when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (instrumentation.ts); a Node program using the engine registers its own.
 *
 * The tree: `waypoint.run` (one invoke/stream) → `waypoint.step` (one super-step) → `waypoint.node` (one node's
 * task, every attempt inside it). Store calls the run makes are parented explicitly (`bindStore`), since an
 * async generator resumes in its caller's context, not in the span that was current when it yielded.
 */
import { context, SpanStatusCode, trace, type Attributes, type Context, type Span } from "@opentelemetry/api";
import type { CheckpointStore } from "../checkpoint/types";

const tracer = () => trace.getTracer("waypoint");

/** Starts a span as a child of `parent` (default: the active context); returns it and the context it heads. */
export function startSpan(name: string, attributes: Attributes, parent: Context = context.active()): { span: Span; ctx: Context } {
  const span = tracer().startSpan(name, { attributes }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Ends a span, marking it failed (with the exception recorded) when `err` is given. */
export function endSpan(span: Span, err?: unknown, attributes?: Attributes): void {
  if (attributes) span.setAttributes(attributes);
  if (err !== undefined) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}

/** Runs `fn` in a child span of the active context, ended when its promise settles. */
export function inSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      const value = await fn();
      span.end();
      return value;
    } catch (err) {
      endSpan(span, err);
      throw err;
    }
  });
}

/** Whether `ctx` (default: the active context) heads a span that records: false untraced or sampled out. */
export function recording(ctx: Context = context.active()): boolean {
  return trace.getSpan(ctx)?.isRecording() ?? false;
}

/** Runs `fn` with `ctx` as the active context (so spans it starts, e.g. a store call's, are children of it). */
export function withContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/**
 * The store as the run sees it: every call made with the run's current span (`current()`) active, so a traced
 * store wrapper (the server's guard) parents its span under the step or run that made the call.
 */
export function bindStore(store: CheckpointStore, current: () => Context): CheckpointStore {
  // Untraced (or sampled out), the store is used as it is: no proxy, no context switch per call.
  if (!recording(current())) return store;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => context.with(current(), () => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}
