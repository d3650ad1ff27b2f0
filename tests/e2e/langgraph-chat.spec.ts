import { expect, test } from "@playwright/test";
import { apiHistory, apiThread, ThreadPage } from "./pages";

/**
 * The chat page is written only against LangGraph's client (the SDK's React `useStream` over /api/langgraph):
 * send a message, see the streamed reply, approve the tool call at the interrupt; then the same thread is
 * inspected in Waypoint's own dashboard (one store: the protocol's thread is an ordinary Waypoint thread).
 */
test("chat through useStream: a streamed reply, a tool call approved at the interrupt, the thread in the dashboard", async ({ page, request }) => {
  await page.goto("/chat");
  await expect(page.getByTestId("chat-page")).toBeVisible();

  // A plain message: the scripted assistant answers.
  await page.getByTestId("chat-input").fill("hello there");
  await page.getByTestId("chat-send").click();
  await expect(page.getByTestId("chat-message-human").first()).toContainText("hello there");
  await expect(page.getByTestId("chat-message-ai").first()).toContainText('You said: "hello there"');
  await expect(page).toHaveURL(/\/chat\?thread=/);

  // A calculation: the assistant asks for the calculator, the run stops for approval.
  await page.getByTestId("chat-input").fill("what is 12 * 7");
  await page.getByTestId("chat-send").click();
  await expect(page.getByTestId("chat-approval")).toBeVisible();
  await expect(page.getByTestId("chat-approval")).toContainText("calculator");
  await page.getByTestId("chat-accept").click();
  await expect(page.getByTestId("chat-message-tool")).toContainText("84");
  await expect(page.getByTestId("chat-message-ai").last()).toContainText("The calculator says: 84");
  await expect(page.getByTestId("chat-approval")).toBeHidden();

  // The same thread in Waypoint's dashboard and native API.
  const threadId = new URL(page.url()).searchParams.get("thread")!;
  const thread = await apiThread(request, threadId);
  expect(thread.status).toBe("done");
  const history = await apiHistory(request, threadId);
  expect(history.some((c) => c.nodeName === "tools")).toBe(true);
  await page.getByTestId("chat-thread-link").click();
  const tp = new ThreadPage(page);
  await expect(tp.root).toBeVisible();
  await tp.expectStatus("done");
  // The approval interrupt and the tool step are both checkpoints of the `tools` node.
  await expect(tp.rowsByNode("tools")).toHaveCount(2);
  await expect(tp.graphNode("tools")).toBeVisible();
  await tp.tab("state");
  // The state view shows the conversation: two questions, the tool call, its result and two answers.
  await expect(tp.stateView).toContainText('"messages":[6 items');
});
