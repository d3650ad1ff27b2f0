import { expect, test, type APIRequestContext } from "@playwright/test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { apiState, apiThread, ThreadPage } from "./pages";
import { signInAs, USERS } from "./users";

/** An approval thread waiting at its review interrupt, started by the signed-in admin through the API. */
async function waitingThread(request: APIRequestContext, graphId = "approval", topic = "Who may approve"): Promise<string> {
  const res = await request.post("/api/threads", { data: { graphId, input: { topic } } });
  expect(res.status()).toBe(201);
  const { threadId } = await res.json();
  await expect.poll(async () => (await apiThread(request, threadId)).status).toBe("interrupted");
  return threadId;
}

test("a reviewer approves at an interrupt and sees their own name on the decision in the timeline", async ({ browser, request, baseURL }) => {
  const threadId = await waitingThread(request);
  const page = await signInAs(browser, USERS.reviewer, baseURL!);
  const thread = await ThreadPage.open(page, threadId);
  await expect(page.getByTestId("me-role")).toHaveText("reviewer");
  await thread.approve();
  await thread.expectStatus("done");
  const decision = page.getByTestId("timeline-decision");
  await expect(decision).toHaveCount(1);
  await expect(decision).toContainText("Rita Reviewer");
  expect((await apiState(request, threadId)).values.published).toBe(true);
  await page.context().close();
});

test("a viewer reads a waiting thread but is offered no action", async ({ browser, request, baseURL }) => {
  const threadId = await waitingThread(request, "approval", "Read only");
  const page = await signInAs(browser, USERS.viewer, baseURL!);
  await page.goto("/");
  await expect(page.getByTestId("new-run-readonly")).toBeVisible();
  await ThreadPage.open(page, threadId);
  await expect(page.getByTestId("readonly-note")).toContainText("reviewer role");
  for (const id of ["decision-approve", "decision-reject", "edit-state", "fork-open", "resume", "delete-thread"])
    await expect(page.getByTestId(id)).toHaveCount(0);
  await page.context().close();
});

test("two reviewers on one interrupt: the second is told who decided, and keeps what they typed", async ({ browser, request, baseURL }) => {
  const threadId = await waitingThread(request, "approval", "A race");
  const rita = await signInAs(browser, USERS.reviewer, baseURL!);
  const rob = await signInAs(browser, USERS.reviewer2, baseURL!);
  const ritaThread = await ThreadPage.open(rita, threadId);
  await ThreadPage.open(rob, threadId);

  // Rob starts writing a rejection; meanwhile Rita approves.
  await rob.getByTestId("decision-reject").click();
  await rob.getByTestId("decision-field-feedback").fill("The intro buries the lede");
  await ritaThread.approve();
  await ritaThread.expectStatus("done");

  // Rob's page says what happened and by whom; his text is still there and nothing was sent.
  await expect(rob.getByTestId("stale-notice")).toBeVisible();
  await expect(rob.getByTestId("stale-what")).toContainText("Rita Reviewer");
  await expect(rob.getByTestId("stale-what")).toContainText("approved it");
  await expect(rob.getByTestId("decision-field-feedback")).toHaveValue("The intro buries the lede");
  await expect(rob.getByTestId("decision-submit")).toBeDisabled();
  const state = await apiState(request, threadId);
  expect(state.values.feedback).toEqual([]);
  await rita.context().close();
  await rob.context().close();
});

test("two-person approval: one reviewer's approval waits for a second, different reviewer", async ({ browser, request, baseURL }) => {
  const threadId = await waitingThread(request, "approval-2p", "Two keys");
  const rita = await signInAs(browser, USERS.reviewer, baseURL!);
  const rob = await signInAs(browser, USERS.reviewer2, baseURL!);

  const ritaThread = await ThreadPage.open(rita, threadId);
  await expect(rita.getByTestId("quorum")).toHaveAttribute("data-required", "2");
  await rita.getByTestId("decision-approve").click();
  await expect(rita.getByTestId("quorum")).toHaveAttribute("data-approvals", "1");
  await expect(rita.getByTestId("quorum-approvals")).toContainText("Rita Reviewer");
  await expect(rita.getByTestId("decision-approve")).toBeDisabled();
  await ritaThread.expectStatus("interrupted");

  // The admin who started the thread may not be the second approver.
  const adminTry = await request.post(`/api/threads/${threadId}/runs`, { data: { command: { resume: { action: "approve" } } } });
  expect(adminTry.status()).toBe(403);

  const robThread = await ThreadPage.open(rob, threadId);
  await expect(rob.getByTestId("quorum-approvals")).toContainText("Rita Reviewer");
  await rob.getByTestId("decision-approve").click();
  await robThread.expectStatus("done");
  const state = await apiState(request, threadId);
  expect(state.values.published).toBe(true);
  expect((state.values.decision as { approvedBy: string[] }).approvedBy).toEqual(["Rita Reviewer", "Rob Reviewer"]);
  await rita.context().close();
  await rob.context().close();
});

test("an admin reads the audit trail: who decided what, filtered by action, exportable", async ({ page, request }) => {
  const threadId = await waitingThread(request, "approval", "Audited");
  const ok = await request.post(`/api/threads/${threadId}/runs`, {
    data: { command: { resume: { action: "approve", comment: "ship it" } }, wait: true },
  });
  expect(ok.status()).toBe(200);
  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").first()).toBeVisible();
  await page.getByTestId("audit-action").selectOption("decide");
  await page.getByTestId("audit-apply").click();
  const rows = page.getByTestId("audit-row");
  await expect(rows.first()).toHaveAttribute("data-action", "decide");
  await expect(rows.first()).toContainText("Ada Admin");
  await expect(rows.first()).toContainText("ship it");
  const href = await page.getByTestId("audit-export").getAttribute("href");
  const exported = await request.get(href!);
  expect(exported.headers()["content-type"]).toContain("application/x-ndjson");
  const lines = (await exported.text())
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(lines.some((e) => e.action === "decide" && e.threadId === threadId && e.reason === "ship it")).toBe(true);
});

test("a page on another origin cannot change anything with a signed-in reviewer's cookies", async ({ browser, request, baseURL }) => {
  const threadId = await waitingThread(request, "approval", "Cross-site");
  const before = await apiThread(request, threadId);
  const target = `${baseURL}/api/threads/${threadId}/runs`;
  // The attacker's page, served from another localhost port: an auto-submitted form, then fetches with the cookies.
  const evil = http.createServer((_req, res) => {
    res.setHeader("content-type", "text/html");
    res.end(`<!doctype html><body>
      <form id="f" method="POST" action="${target}" enctype="text/plain"><input name='{"command":{"resume":{"action":"approve"}},"x":"' value='"}'></form>
      <script>
        const body = JSON.stringify({ command: { resume: { action: "reject", feedback: "pwned" } } });
        Promise.allSettled([
          fetch(${JSON.stringify(target)}, { method: "POST", credentials: "include", headers: { "content-type": "text/plain" }, body }),
          fetch(${JSON.stringify(target)}, { method: "POST", credentials: "include", mode: "no-cors", body }),
          fetch(${JSON.stringify(target)}, { method: "POST", credentials: "include", headers: { "content-type": "application/json" }, body }),
          fetch(${JSON.stringify(`${baseURL}/api/threads/${threadId}`)}, { method: "DELETE", credentials: "include" }),
        ]).then(() => { document.title = "fetched"; document.getElementById("f").submit(); });
      </script></body>`);
  });
  await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
  const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;
  try {
    const rita = await signInAs(browser, USERS.reviewer, baseURL!);
    const formPosted = rita.waitForURL(target, { timeout: 15_000 }).catch(() => null);
    await rita.goto(evilUrl);
    await formPosted;
    await expect(rita.locator("body")).toContainText(/CROSS_SITE|UNSUPPORTED_MEDIA_TYPE/);
    await rita.context().close();
  } finally {
    evil.close();
  }
  const after = await apiThread(request, threadId);
  expect(after.status).toBe("interrupted");
  expect(after.headCheckpointId).toBe(before.headCheckpointId);
  expect(after.checkpointCount).toBe(before.checkpointCount);
});

test("signing in with a wrong password says so; signing out returns to the sign-in page", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto("/threads/anything");
  await expect(page).toHaveURL(/\/signin\?next=%2Fthreads%2Fanything/);
  await page.getByTestId("signin-email").fill(USERS.operator.email);
  await page.getByTestId("signin-password").fill("not-the-password");
  await page.getByTestId("signin-submit").click();
  await expect(page.getByTestId("signin-error")).toContainText(/invalid email or password/i);
  await page.getByTestId("signin-password").fill(USERS.operator.password);
  await page.getByTestId("signin-submit").click();
  await expect(page).toHaveURL(/\/threads\/anything/);
  await expect(page.getByTestId("me-name")).toHaveText(USERS.operator.name);
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/signin/);
  const me = await page.request.get("/api/me");
  expect(me.status()).toBe(401);
  await context.close();
});
