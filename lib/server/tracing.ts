import "server-only";
import type { NodeSDK } from "@opentelemetry/sdk-node";
import { errFields, log } from "./log";

/**
 * Starts OpenTelemetry's Node SDK when the operator asked for traces: OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set (the exporter reads them, and the other standard OTEL_* variables,
 * itself), unless OTEL_SDK_DISABLED=true. Off otherwise: the engine's spans (lib/engine/tracing.ts) then go to
 * the API's no-op tracer and cost nothing.
 *
 * Spans: `waypoint.run` → `waypoint.step` → `waypoint.node`, and `waypoint.store.<method>` for every store call
 * (under the step that made it, or under Next's own request span for API reads). No auto-instrumentation is
 * loaded: Next.js emits its HTTP spans itself once a tracer provider is registered.
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<NodeSDK | null> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return null;
  // Loaded only when asked for: the SDK and its exporters are a large module graph a server without traces skips.
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
  ]);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || "waypoint",
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [],
  });
  sdk.start();
  log().info({ endpoint }, `OpenTelemetry traces exported over OTLP/HTTP to ${endpoint}`);
  // Flushes the last batch when the event loop drains. No SIGTERM listener: one would change how the server exits.
  process.once("beforeExit", () => void sdk.shutdown().catch(() => {}));
  return sdk;
}

/** Logs why traces could not be started; the server goes on without them. */
export function tracingFailed(err: unknown): void {
  log().error(errFields(err), "OpenTelemetry traces could not be started; the server runs without them");
}
