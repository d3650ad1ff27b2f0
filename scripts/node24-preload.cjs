/**
 * Preloaded (NODE_OPTIONS=--require) by the CI's Node 24 phases, in every process they start (vitest workers,
 * `next start` servers, crash-test children). node_modules/better-sqlite3 holds the native addon built for the
 * default Node (20); under Node 24 its load is redirected to the copy scripts/lib-node24.mjs built for Node 24
 * (WAYPOINT_BETTER_SQLITE3_NODE), so one node_modules serves both Nodes. Every loader path (require, import,
 * `bindings`) ends in process.dlopen, so that is the one place to redirect.
 */
"use strict";
const target = process.env.WAYPOINT_BETTER_SQLITE3_NODE;
if (target) {
  const dlopen = process.dlopen;
  process.dlopen = function (module, filename, ...rest) {
    return dlopen.call(this, module, /[\\/]better_sqlite3\.node$/.test(String(filename)) ? target : filename, ...rest);
  };
}
