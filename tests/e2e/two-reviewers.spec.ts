import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { expectAccessible } from "./axe";
import { apiState, apiThread, editorText, replaceEditorText, ThreadPage } from "./pages";
import { signInAs, USERS } from "./users";

/**
 * Two reviewers on one interrupt (issue 11): when someone else answers it first, the other reviewer's page says
 * who did what (and what they wrote), keeps what they typed, sends nothing on its own, and lets them send it
 * again on the new interrupt, where it changes only what they changed.
 */

const SHOTS = process.env.E2E_SHOTS_DIR ?? "/work/shots/h7";

async function shot(page: Page, name: string) {
  if (process.env.E2E_SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function waitingThread(request: APIRequestContext, topic: string): Promise<string> {
  const res = await request.post("/api/threads", { data: { graphId: "approval", input: { topic } } });
  expect(res.status()).toBe(201);
  const { threadId } = await res.json();
  await expect.poll(async () => (await apiThread(request, threadId)).status).toBe("interrupted");
  return threadId;
}

test("Rita rejects while Rob writes his rejection: Rob is told who rejected and why, and sends his reason on the revised draft", async ({
  browser,
  request,
  baseURL,
}) => {
  const threadId = await waitingThread(request, "Two rejections");
  const rita = await signInAs(browser, USERS.reviewer, baseURL!);
  const rob = await signInAs(browser, USERS.reviewer2, baseURL!);
  const ritaThread = await ThreadPage.open(rita, threadId);
  const robThread = await ThreadPage.open(rob, threadId);

  await rob.getByTestId("decision-reject").click();
  await rob.getByTestId("decision-field-feedback").fill("Say who it is for");
  await ritaThread.reject("Add a concrete example");
  await expect(ritaThread.interrupt.getByTestId("interrupt-payload")).toContainText("Add a concrete example");

  // Rob: who, what, what they wrote; the thread waits again; his text is there and cannot be sent blindly.
  const notice = rob.getByTestId("stale-notice");
  await expect(notice).toBeVisible();
  await expect(notice.getByTestId("stale-who")).toHaveText("Rita Reviewer");
  await expect(notice.getByTestId("stale-what")).toContainText("rejected it");
  await expect(notice.getByTestId("stale-said")).toHaveText("Add a concrete example");
  await expect(notice.getByTestId("stale-what")).toContainText("waiting at review again");
  await expect(rob.getByTestId("decision-field-feedback")).toHaveValue("Say who it is for");
  await expect(rob.getByTestId("decision-submit")).toBeDisabled();
  await shot(rob, "stale-notice-waiting-again");
  expect((await apiState(request, threadId)).values.feedback).toEqual(["Add a concrete example"]);

  // He looks at the new draft, then sends his reason on it.
  await notice.getByTestId("stale-review").click();
  await expect(notice).toBeHidden();
  await expect(robThread.interrupt.getByTestId("interrupt-payload")).toContainText('Revised for: "Add a concrete example"');
  await expect(rob.getByTestId("decision-field-feedback")).toHaveValue("Say who it is for");
  await rob.getByTestId("decision-submit").click();
  await expect(robThread.interrupt.getByTestId("interrupt-payload")).toContainText('Revised for: "Say who it is for"');
  await expect(rob.getByTestId("stale-notice")).toHaveCount(0);

  const state = await apiState(request, threadId);
  expect(state.values.feedback).toEqual(["Add a concrete example", "Say who it is for"]);
  expect(state.values.revisions).toBe(2);
  await rita.context().close();
  await rob.context().close();
});

test("Rob's state edit survives Rita's rejection: refused while stale, then sent on the new interrupt, changing only his channel", async ({
  browser,
  request,
  baseURL,
}) => {
  const threadId = await waitingThread(request, "Edit race");
  const rita = await signInAs(browser, USERS.reviewer, baseURL!);
  const rob = await signInAs(browser, USERS.reviewer2, baseURL!);
  const ritaThread = await ThreadPage.open(rita, threadId);
  const robThread = await ThreadPage.open(rob, threadId);

  await rob.getByTestId("edit-state").click();
  await rob.getByTestId("interrupt-edit-mode").click(); // Edit as JSON
  const editor = rob.getByTestId("interrupt-edit-editor");
  const opened = JSON.parse(await editorText(editor)) as Record<string, unknown>;
  const mine = JSON.stringify({ ...opened, topic: "Edit race, retitled by Rob" }, null, 2);
  await replaceEditorText(editor, mine);
  await rob.getByTestId("interrupt-edit-reason").fill("a clearer title");

  await ritaThread.reject("Shorter please");
  await expect(ritaThread.interrupt.getByTestId("interrupt-payload")).toContainText("Shorter please");

  const notice = rob.getByTestId("stale-notice");
  await expect(notice.getByTestId("stale-who")).toHaveText("Rita Reviewer");
  await expect(notice.getByTestId("stale-said")).toHaveText("Shorter please");
  expect(await editorText(editor)).toBe(mine);
  await expect(rob.getByTestId("interrupt-edit-reason")).toHaveValue("a clearer title");

  // Sending anyway is refused by the server (the thread moved on): nothing is written, the text stays.
  const before = (await apiThread(request, threadId)).checkpointCount;
  await rob.getByTestId("interrupt-edit-submit").click();
  await expect(notice).toBeVisible();
  expect(await editorText(editor)).toBe(mine);
  expect((await apiThread(request, threadId)).checkpointCount).toBe(before);

  await notice.getByTestId("stale-review").click();
  await expect(notice).toBeHidden();
  // An edit at a dynamic interrupt is sent back for review: the node asks again, with the edited state.
  await rob.getByTestId("interrupt-edit-submit").click();
  await expect(rob.getByTestId("interrupt-edit")).toHaveCount(0);
  await expect(rob.getByTestId("stale-notice")).toHaveCount(0);
  await expect.poll(async () => (await apiThread(request, threadId)).checkpointCount).toBeGreaterThan(before);
  await robThread.expectStatus("interrupted");

  // Rob's change (the topic) went in; Rita's revision (the new draft, her feedback) was not undone by his old text.
  const state = await apiState(request, threadId);
  expect(state.values.topic).toBe("Edit race, retitled by Rob");
  expect(state.values.draft).toContain('Revised for: "Shorter please"');
  expect(state.values.feedback).toEqual(["Shorter please"]);
  await robThread.approve();
  await robThread.expectStatus("done");
  expect((await apiState(request, threadId)).values.published).toBe(true);
  await rita.context().close();
  await rob.context().close();
});

test("Rita approves while Rob writes a rejection: nothing waits any more, Rob can copy his text and close the panel", async ({
  browser,
  request,
  baseURL,
}) => {
  const threadId = await waitingThread(request, "Too late");
  const rita = await signInAs(browser, USERS.reviewer, baseURL!);
  const rob = await signInAs(browser, USERS.reviewer2, baseURL!);
  await rob.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  const ritaThread = await ThreadPage.open(rita, threadId);
  const robThread = await ThreadPage.open(rob, threadId);

  await rob.getByTestId("decision-reject").click();
  await rob.getByTestId("decision-field-feedback").fill("Not ready yet");
  await ritaThread.approve();
  await ritaThread.expectStatus("done");

  const notice = rob.getByTestId("stale-notice");
  await expect(notice.getByTestId("stale-who")).toHaveText("Rita Reviewer");
  await expect(notice.getByTestId("stale-what")).toContainText("approved it");
  await expect(notice.getByTestId("stale-what")).toContainText("nothing waits for a decision");
  await expect(notice.getByTestId("stale-review")).toHaveCount(0);
  await expect(rob.getByTestId("decision-field-feedback")).toHaveValue("Not ready yet");
  await expect(rob.getByTestId("decision-submit")).toBeDisabled();
  await expectAccessible(rob, "stale notice");
  await shot(rob, "stale-notice-nothing-waits");

  await notice.getByTestId("stale-copy").click();
  await expect(notice.getByTestId("stale-copy")).toHaveText("Copied");
  expect(await rob.evaluate(() => navigator.clipboard.readText())).toBe("Not ready yet");
  await notice.getByTestId("stale-close").click();
  await expect(robThread.interrupt).toHaveCount(0);
  await robThread.expectStatus("done");
  expect((await apiState(request, threadId)).values.feedback).toEqual([]);
  await rita.context().close();
  await rob.context().close();
});

test("Rita picks a vendor while Rob writes his choice: the notice says what she answered, in the vendor graph's own terms", async ({
  browser,
  request,
  baseURL,
}) => {
  const res = await request.post("/api/threads", { data: { graphId: "vendor", input: { need: "12 standing desks" } } });
  expect(res.status()).toBe(201);
  const { threadId } = await res.json();
  await expect.poll(async () => (await apiThread(request, threadId)).status).toBe("interrupted");
  const rita = await signInAs(browser, USERS.reviewer, baseURL!);
  const rob = await signInAs(browser, USERS.reviewer2, baseURL!);
  await rob.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  const ritaThread = await ThreadPage.open(rita, threadId);
  await ThreadPage.open(rob, threadId);

  await rob.getByTestId("decision-fabrikam").click();
  const form = rob.getByTestId("decision-form");
  await form.getByLabel(/Budget/).fill("9000");
  await form.getByLabel(/Note/).fill("Fabrikam delivers faster");

  await ritaThread.interrupt.getByTestId("decision-contoso").click();
  const ritaForm = ritaThread.interrupt.getByTestId("decision-form");
  await ritaForm.getByLabel(/Budget/).fill("20000");
  await ritaForm.getByLabel(/Note/).fill("cheapest that fits");
  await ritaForm.getByTestId("decision-submit").click();
  await ritaThread.expectStatus("done");

  const notice = rob.getByTestId("stale-notice");
  await expect(notice.getByTestId("stale-who")).toHaveText("Rita Reviewer");
  // Her answer's fields in words (in the order the store keeps them), her note as what she said.
  await expect(notice.getByTestId("stale-what")).toContainText(/answered it \((vendor contoso, budget 20000|budget 20000, vendor contoso)\)/);
  await expect(notice.getByTestId("stale-said")).toHaveText("cheapest that fits");
  await expect(form.getByLabel(/Note/)).toHaveValue("Fabrikam delivers faster");
  await expect(form.getByTestId("decision-submit")).toBeDisabled();
  await expectAccessible(rob, "vendor stale notice");
  await shot(rob, "stale-notice-vendor");

  await notice.getByTestId("stale-copy").click();
  expect(await rob.evaluate(() => navigator.clipboard.readText())).toBe("Budget (€): 9000\nNote for the buyer: Fabrikam delivers faster");
  expect((await apiState(request, threadId)).values.order).toMatch(/from contoso/);
  await rita.context().close();
  await rob.context().close();
});
