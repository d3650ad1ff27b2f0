/**
 * Entry of `npm run worker` (run with tsx and the react-server condition, so lib/server's `server-only` guard
 * resolves to its empty module outside Next). A start-up error is printed as one sentence and exits 1.
 */
import { isWaypointError } from "../../errors";
import { errFields, log } from "../log";
import { runWorker } from "./worker";

runWorker().catch((err: unknown) => {
  if (isWaypointError(err)) log().error({ err: { message: err.message, code: err.code } }, err.message);
  else log().fatal(errFields(err), "worker start-up failed");
  process.exit(1);
});
