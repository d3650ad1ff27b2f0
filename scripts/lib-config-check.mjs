/**
 * Loads waypoint.config.ts (or WAYPOINT_CONFIG) and every graph module it names, as the server will at start,
 * and prints the graphs — or the one sentence saying what is wrong, with exit code 1. Run with tsx by
 * start.mjs before the build, so a mistake in the config never costs a build or a half-started server.
 */
import { loadGraphConfig } from "../lib/config/load.ts";

try {
  const { file, graphs } = await loadGraphConfig();
  console.log(`Graphs from ${file}: ${graphs.map((g) => g.id).join(", ")}.`);
} catch (err) {
  console.error(err && typeof err === "object" && "code" in err ? `${err.message}` : err);
  process.exit(1);
}
