/** Run-lock owner helpers: owner format and local liveness checks against real processes. */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isSafeId } from "../../lib/checkpoint/ids";
import { isOwnerDeadLocally, newLockOwner, parseLockOwner, safeHostname } from "../../lib/checkpoint/local-lock";

describe("lock owners", () => {
  it("newLockOwner is host:pid:random, id-safe and unique", () => {
    const a = newLockOwner();
    const b = newLockOwner();
    expect(a).not.toBe(b);
    expect(isSafeId(a)).toBe(true);
    const parsed = parseLockOwner(a);
    expect(parsed).toMatchObject({ host: safeHostname(), pid: process.pid });
    expect(parsed?.nonce).toMatch(/^[0-9a-f]{12}$/);
  });

  it("sanitises hostnames into id-safe characters", () => {
    for (const h of ["my host", "..evil/../x", "höst.local", "a..b", "", "-x_y.z", "ホスト", "a\\b:c"]) {
      const s = safeHostname(h);
      expect(isSafeId(`${s}:1:abc`), `${JSON.stringify(h)} -> ${s}`).toBe(true);
    }
    expect(safeHostname("web-1.example.com")).toBe("web-1.example.com");
  });

  it("reports a finished local process as dead and a running one as alive", async () => {
    const host = safeHostname();
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    await new Promise((r) => child.once("spawn", r));
    const owner = `${host}:${child.pid}:abc123`;
    try {
      expect(isOwnerDeadLocally(owner)).toBe(false);
    } finally {
      child.kill("SIGKILL");
    }
    await new Promise((r) => child.once("exit", r));
    expect(isOwnerDeadLocally(owner)).toBe(true);
  });

  it("never declares dead an owner it cannot check", () => {
    expect(isOwnerDeadLocally(`${safeHostname()}:${process.pid}:abc`)).toBe(false); // ourselves
    expect(isOwnerDeadLocally(`other-host-${safeHostname()}:999999:abc`)).toBe(false); // another machine
    expect(isOwnerDeadLocally("owner-a")).toBe(false); // not our format
    expect(isOwnerDeadLocally(`${safeHostname()}:1:abc`)).toBe(false); // pid 1 exists (EPERM or alive)
  });
});
