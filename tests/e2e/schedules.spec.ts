import { expect, test } from "@playwright/test";
import { expectAccessible } from "./axe";

/** The Schedules page (issue 15): create a schedule, run it now, pause and resume it, edit it, delete it. */

test("create a schedule, run it now, pause, resume, edit and delete it", async ({ page, request }) => {
  await page.goto("/");
  await page.getByTestId("nav-schedules").click();
  await expect(page.getByTestId("schedules-page")).toBeVisible();

  const form = page.getByTestId("schedule-form");
  await form.getByTestId("schedule-graph").selectOption("pipeline");
  await form.getByTestId("schedule-cron").fill("30 6 * * 1-5");
  await form.getByTestId("schedule-submit").click();

  const list = (await (await request.get("/api/schedules")).json()).schedules as { scheduleId: string; cron: string }[];
  const made = list.find((s) => s.cron === "30 6 * * 1-5");
  expect(made).toBeTruthy();
  const row = page.locator(`[data-testid="schedule-row"][data-schedule="${made!.scheduleId}"]`);
  await expect(row.getByTestId("schedule-status")).toHaveText("active");
  await expect(row.getByTestId("schedule-next")).toContainText(/in \d/);
  await expectAccessible(page, "schedules page");

  await row.getByTestId("schedule-run-now").click();
  await expect(row.getByTestId("schedule-last-thread")).toBeVisible();

  await row.getByTestId("schedule-toggle").click();
  await expect(row.getByTestId("schedule-status")).toHaveText("paused");
  await expect(row.getByTestId("schedule-next")).toHaveText("—");
  expect((await (await request.get(`/api/schedules/${made!.scheduleId}`)).json()).paused).toBe(true);
  await row.getByTestId("schedule-toggle").click();
  await expect(row.getByTestId("schedule-status")).toHaveText("active");

  // Edit it: the form comes filled with the schedule; a bad expression is refused and changes nothing.
  await row.getByTestId("schedule-edit").click();
  const edit = page.getByTestId("schedule-edit-form");
  await expect(edit.getByTestId("schedule-cron")).toHaveValue("30 6 * * 1-5");
  await expect(edit.getByTestId("schedule-graph")).toBeDisabled();
  await expect(page.getByTestId("schedule-form")).toHaveCount(0);
  await edit.getByTestId("schedule-cron").fill("99 * * * *");
  await edit.getByTestId("schedule-submit").click();
  await expect(edit.getByTestId("schedule-edit-error")).toContainText("not valid");
  expect((await (await request.get(`/api/schedules/${made!.scheduleId}`)).json()).cron).toBe("30 6 * * 1-5");
  await edit.getByTestId("schedule-cron").fill("15 7 * * *");
  await edit.getByTestId("schedule-thread").fill("nightly-digest");
  await page.screenshot({ path: "test-results/schedule-edit.png", fullPage: true });
  await edit.getByTestId("schedule-submit").click();
  await expect(edit).toHaveCount(0);
  await expect(row.getByTestId("schedule-cron-text")).toHaveText("15 7 * * *");
  await expect(row).toContainText("nightly-digest");
  const saved = await (await request.get(`/api/schedules/${made!.scheduleId}`)).json();
  expect(saved).toMatchObject({ cron: "15 7 * * *", threadId: "nightly-digest", graphId: "pipeline", paused: false });

  await row.getByTestId("schedule-delete").click();
  await row.getByTestId("schedule-delete-confirm").click();
  await expect(row).toHaveCount(0);
  expect((await request.get(`/api/schedules/${made!.scheduleId}`)).status()).toBe(404);
});

test("a bad cron expression is refused with the server's message and nothing is created", async ({ page, request }) => {
  const before = (await (await request.get("/api/schedules")).json()).schedules.length;
  await page.goto("/schedules");
  await page.getByTestId("schedule-cron").fill("61 * * * *");
  await page.getByTestId("schedule-submit").click();
  await expect(page.getByTestId("schedule-create-error")).toContainText("not valid");
  expect((await (await request.get("/api/schedules")).json()).schedules.length).toBe(before);
});
