// End-to-end: a profile set in one browser (display name, status, time zone through the
// Profile dialog of the account menu) shows in another, live, in the timeline, the room list
// and the member list; the direct-message dialog finds people by the start of their name
// (GET /api/v1/users?q=). Desktop and phone widths, light and dark.

import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  browser,
  openUser,
  roomButton,
  sendMessage,
  server,
  setup,
  track,
  uniqueName,
  until,
} from "./harness.mjs";

setup();

async function openProfile(page) {
  await page.locator(".topbar .whoami").click();
  await page.getByRole("menuitem", { name: "Profile" }).click();
  await page.locator("#profile-name").waitFor();
}

test("a profile set in one browser shows in another, live", async () => {
  const a = await openUser(browser, server.url, uniqueName("ana"));
  const b = await openUser(browser, server.url, uniqueName("ben"));
  track(a.context);
  track(b.context);

  // Ana finds Ben by the start of his name and starts a direct conversation.
  await a.page.getByRole("button", { name: "Direct message" }).click();
  await a.page.locator("#dm-username").fill(b.username.slice(0, 4));
  await a.page.locator(`[data-person="${b.username}"] button`).click();
  await a.page.locator("#room-title", { hasText: b.username }).waitFor();

  // Ana sets her profile with the keyboard and the quick status buttons.
  await openProfile(a.page);
  await a.page.keyboard.type("Ana Lovelace");
  await a.page.getByRole("button", { name: "Status emoji 🌴" }).click();
  await a.page.locator("#profile-status").fill("on holiday");
  await a.page.locator("#profile-zone").fill("Europe/Paris");
  await a.page.screenshot({ path: join(tmpdir(), "parley-e2e-profile-dialog.png") });
  await a.page.getByRole("button", { name: "Save profile" }).click();
  await a.page.locator("dialog").waitFor({ state: "detached" });
  await sendMessage(a.page, "hello from Ana");

  // Ben sees her display name and status on her message and in his room list.
  await roomButton(b.page, "Ana Lovelace").click();
  const head = b.page.locator(".msg-head", { hasText: "Ana Lovelace" });
  await head.waitFor();
  assert.match(await head.locator(".sender-status").textContent(), /🌴 on holiday/);
  await b.page.screenshot({ path: join(tmpdir(), "parley-e2e-profile-seen.png") });

  // A bad time zone is refused in words, and nothing changes.
  await openProfile(a.page);
  await a.page.locator("#profile-zone").fill("Mars/Olympus_Mons");
  await a.page.getByRole("button", { name: "Save profile" }).click();
  await a.page.getByText("time_zone must be an IANA time zone name", { exact: false }).waitFor();
  await a.page.keyboard.press("Escape");

  // A change reaches Ben without a reload (the profile frame).
  await openProfile(a.page);
  await a.page.locator("#profile-name").fill("Ana B.");
  await a.page.locator("#profile-status").fill("");
  await a.page.locator("#profile-emoji").fill("");
  await a.page.getByRole("button", { name: "Save profile" }).click();
  await b.page.locator(".msg-head .sender", { hasText: "Ana B." }).waitFor();
  assert.equal(await b.page.locator(".msg-head .sender-status").count(), 0);
  await roomButton(b.page, "Ana B.").waitFor();
  assert.deepEqual(a.problems, []);
  assert.deepEqual(b.problems, []);
});

test("the profile dialog fits a phone, in dark mode", async () => {
  const p = await openUser(browser, server.url, uniqueName("phil"), {
    viewport: { width: 375, height: 700 },
  });
  track(p.context);
  await p.page.emulateMedia({ colorScheme: "dark" });
  await openProfile(p.page);
  await p.page.screenshot({ path: join(tmpdir(), "parley-e2e-profile-phone-dark.png") });
  await until(
    () => p.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    { message: "no horizontal scroll at 375 px" },
  );
  const box = await p.page.locator("dialog").boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 375, JSON.stringify(box));
  assert.deepEqual(p.problems, []);
});
