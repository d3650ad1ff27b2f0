#!/usr/bin/env node
/**
 * `npx waypoint <command>` (package.json "bin"): loads the TypeScript command line (lib/cli/main.ts) with jiti,
 * as the server loads waypoint.config.ts, so it runs from a checkout with no build step.
 */
import { createJiti } from "jiti";

const jiti = createJiti(import.meta.url, { interopDefault: true });
const { main } = await jiti.import("../lib/cli/main.ts");
await main(process.argv);
