/**
 * A worker's Prometheus metrics (WAYPOINT_WORKER_METRICS): the same registry as a web instance's /api/metrics
 * (lib/server/metrics.ts), served as GET /metrics on a port of the worker's own. Without it a worker's figures —
 * the retention passes it ran, its runs and steps, its store calls — would be counted where no one can read
 * them. No sign-in: bound to 127.0.0.1 unless a host is named, as exporters usually are.
 */
import http from "node:http";
import { errFields, log } from "../log";
import { metrics } from "../metrics";

export async function serveWorkerMetrics(at: { host: string; port: number }): Promise<() => Promise<void>> {
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found: this worker serves GET /metrics only.\n");
      return;
    }
    metrics()
      .text()
      .then(
        (text) => res.writeHead(200, { "content-type": metrics().registry.contentType }).end(text),
        (err: unknown) => {
          log().error(errFields(err), "worker metrics: scrape failed");
          res.writeHead(500, { "content-type": "text/plain" }).end("The metrics could not be read.\n");
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => resolve());
  });
  log().info({ host: at.host, port: at.port }, `worker metrics on http://${at.host}:${at.port}/metrics`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
