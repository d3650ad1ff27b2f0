/**
 * Architecture rules: `npm run lint:arch` (dependency-cruiser). Every rule is an error and fails CI.
 * Type-only imports count (tsPreCompilationDeps): a layer that may not import a module may not import its types.
 *
 * - lib/engine and lib/checkpoint are a plain Node library: nothing from Next, React, the server, the app or
 *   the dashboard. So is lib/config (the graph config's schema and loader), which graph modules import, and
 *   lib/langgraph (the LangGraph.js checkpointer over any store), which reaches stores only through their contract.
 * - The dashboard (components, lib/client) runs in the browser: never the server runtime or a store.
 * - Route handlers (app/api) are thin: they reach the engine and stores only through lib/server.
 * - No import cycles anywhere.
 */

/** Store drivers and server-only packages: only lib/checkpoint and lib/server may hold them. */
const STORE_PACKAGES = "^(?:node_modules/)?(pg|ioredis|better-sqlite3|@prisma/[^/]+|server-only)(/|$)";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles make load order matter and modules impossible to read alone: move the shared part into a module of its own.",
      from: {},
      to: { circular: true },
    },
    {
      name: "engine-is-plain-node",
      severity: "error",
      comment: "lib/engine and lib/checkpoint are usable from a plain Node script: no Next.js, React, server runtime, app or dashboard code.",
      from: { path: "^lib/(engine|checkpoint)/" },
      to: {
        path: ["^(?:node_modules/)?(next|react|react-dom|server-only)(/|$)", "^lib/(server|client|graphs|config)/", "^app/", "^components/"],
      },
    },
    {
      name: "config-is-plain-node",
      severity: "error",
      comment:
        "lib/config (waypoint.config.ts's schema and loader) runs in plain Node scripts too: no Next.js, React, server runtime, app or dashboard code.",
      from: { path: "^lib/config/" },
      to: {
        path: ["^(?:node_modules/)?(next|react|react-dom|server-only)(/|$)", "^lib/(server|client|graphs)/", "^app/", "^components/"],
      },
    },
    {
      name: "langgraph-is-plain-node",
      severity: "error",
      comment:
        "lib/langgraph (WaypointSaver) runs in a LangGraph.js user's plain Node script: no Next.js, React, server runtime, app or dashboard " +
        "code, and no store driver (it is given a store and uses only the contract in lib/checkpoint/types.ts).",
      from: { path: "^lib/langgraph/" },
      to: {
        path: [
          "^(?:node_modules/)?(next|react|react-dom)(/|$)",
          "^lib/(server|client|graphs|config|engine)/",
          "^app/",
          "^components/",
          STORE_PACKAGES,
        ],
      },
    },
    {
      name: "dashboard-not-server",
      severity: "error",
      comment: "components and lib/client run in the browser: they talk to the server over HTTP, never to lib/server, the engine or a store.",
      from: { path: "^(components|lib/client)/" },
      to: { path: ["^lib/(server|engine|checkpoint|graphs|config|generated|langgraph)/", "^app/api/", STORE_PACKAGES] },
    },
    {
      name: "routes-only-through-server",
      severity: "error",
      comment:
        "Route handlers (app/api) use lib/server (and their own zod schemas beside them, and the shared API shapes); " +
        "the engine, stores, graphs and dashboard are out of reach.",
      from: { path: "^app/api/" },
      to: { path: ["^lib/", "^components/", "^app/(?!api/)", STORE_PACKAGES], pathNot: ["^lib/server/", "^lib/api/"] },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that resolves to nothing: a typo, a moved file or a missing package.",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "not-to-dev-dep-from-runtime",
      severity: "error",
      comment: "Code the app or the engine runs must not need a devDependency (it is absent from a production install).",
      from: { path: "^(lib|app|components)/", pathNot: "\\.(test|spec)\\.tsx?$" },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: ["node_modules", "^lib/generated/"] },
    exclude: { path: ["^\\.next", "^data/", "^test-results/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
