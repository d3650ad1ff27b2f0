/**
 * "Is the production build current?" for `npm start`: a build is stale when any source file is newer
 * than its BUILD_ID. Cheap (mtimes only), so `npm start` can build on a fresh clone and skip it after.
 */
import fs from "node:fs";
import path from "node:path";

const SOURCES = ["app", "components", "lib", "public", "prisma", "next.config.mjs", "package.json", "postcss.config.mjs", "tsconfig.json"];
const SKIP = new Set(["node_modules", ".next", "generated"]);

function newestMtime(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of fs.readdirSync(p)) if (!SKIP.has(name)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

export function buildIsCurrent(root, distDir = process.env.NEXT_DIST_DIR || ".next") {
  const id = path.join(root, distDir, "BUILD_ID");
  if (!fs.existsSync(id)) return false;
  const built = fs.statSync(id).mtimeMs;
  return SOURCES.every((s) => newestMtime(path.join(root, s)) <= built);
}
