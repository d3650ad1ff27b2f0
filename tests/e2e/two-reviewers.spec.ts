import { expect, test, type APIRequestContext } from "@playwright/test";
import { expectAccessible } from "./axe";
import { apiState, apiThread, editorText, replaceEditorText, ThreadPage } from "./pages";
import { signInAs, USERS } from "./users";

/**
 * Two reviewers on one interrupt (issue 11): when someone else answers it first, the other reviewer's page says
 * who did what (and what they wrote), keeps what they typed, sends nothing on its own, and lets them send it
 * again on the new interrupt, where it changes only what they changed.
 */

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

  await rob.getByTestId("reject").click();
  await rob.getByTestId("reject-reason").fill("Say who it is for");
  await ritaThread.reject("Add a concrete example");
  await expect(ritaThread.interrupt.getByTestId("interrupt-payload")).toContainText("Add a concrete example");

  // Rob: who, what, what they wrote; the thread waits again; his text is there and cannot be sent blindly.
  const notice = rob.getByTestId("stale-notice");
  await expect(notice).toBeVisible();
  await expect(notice.getByTestId("stale-who")).toHaveText("Rita Reviewer");
  await expect(notice.getByTestId("stale-what")).toContainText("rejected it");
  await expect(notice.getByTestId("stale-said")).toHaveText("Add a concrete example");
  await expect(notice.getByTestId("stale-what")).toContainText("waiting at review again");
  await expect(rob.getByTestId("reject-reason")).toHaveValue("Say who it is for");
  await expect(rob.getByTestId("reject-submit")).toBeDisabled();
  expect((await apiState(request, threadId)).values.feedback).toEqual(["Add a concrete example"]);

  // He looks at the new draft, then sends his reason on it.
  await notice.getByTestId("stale-review").click();
  await expect(notice).toBeHidden();
  await expect(robThread.interrupt.getByTestId("interrupt-payload")).toContainText('Revised for: "Add a concrete example"');
  await expect(rob.getByTestId("reject-reason")).toHaveValue("Say who it is for");
  await rob.getByTestId("reject-submit").click();
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
  await rob.getByTestId("interrupt-edit-submit").click();
  await robThread.expectStatus("done");

  // Rob's change (the topic) went in; Rita's revision (the new draft, her feedback) was not undone by his old text.
  const state = await apiState(request, threadId);
  expect(state.values.topic).toBe("Edit race, retitled by Rob");
  expect(state.values.draft).toContain('Revised for: "Shorter please"');
  expect(state.values.feedback).toEqual(["Shorter please"]);
  expect(state.values.published).toBe(true);
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

  await rob.getByTestId("reject").click();
  await rob.getByTestId("reject-reason").fill("Not ready yet");
  await ritaThread.approve();
  await ritaThread.expectStatus("done");

  const notice = rob.getByTestId("stale-notice");
  await expect(notice.getByTestId("stale-who")).toHaveText("Rita Reviewer");
  await expect(notice.getByTestId("stale-what")).toContainText("approved it");
  await expect(notice.getByTestId("stale-what")).toContainText("nothing waits for a decision");
  await expect(notice.getByTestId("stale-review")).toHaveCount(0);
  await expect(rob.getByTestId("reject-reason")).toHaveValue("Not ready yet");
  await expect(rob.getByTestId("reject-submit")).toBeDisabled();
  await expectAccessible(rob, "stale notice");

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
