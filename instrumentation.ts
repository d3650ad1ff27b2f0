/**
 * Next.js start-up hook: opens the checkpoint store as soon as the server starts (not on the first request),
 * so a bad configuration is reported at once and runs left "running" by a killed server resume by themselves.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Malformed requests (bad percent-encoding, TRACE / CONNECT, unparsable) get the API's JSON 4xx, not Next's bare 500.
  const http = await import("node:http");
  (await import("./lib/server/guard")).installRequestGuard(http.default ?? http);
  // OpenTelemetry traces, before anything runs, when OTEL_EXPORTER_OTLP_ENDPOINT is set (lib/server/tracing.ts).
  // A tracing set-up that fails (a malformed OTEL_* value) is logged and the server runs untraced.
  const tracing = await import("./lib/server/tracing");
  await tracing.startTracing().catch((err) => tracing.tracingFailed(err));
  const { getRuntime } = await import("./lib/server/runtime");
  // Errors are printed (one sentence) by getRuntime and answered as 503 until the store is reachable.
  await getRuntime().catch(() => {});
}
