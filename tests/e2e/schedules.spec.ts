import { expect, test } from "@playwright/test";
import { expectAccessible } from "./axe";

/** The Schedules page (issue 15): create a schedule, run it now, pause and resume it, delete it. */

test("create a schedule, run it now, pause, resume and delete it", async ({ page, request }) => {
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
