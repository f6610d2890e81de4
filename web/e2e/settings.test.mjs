// End-to-end: an admin's one-time reset link opened in Chromium sets the password, and the
// sign-in screen then takes the new one (web/src/views/settings.ts).

import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  browser,
  newContext,
  openUser,
  server,
  setup,
  track,
  uniqueName,
  watchPage,
} from "./harness.mjs";

const NEW_PASSWORD = "a brand new password";
const boss = uniqueName("boss");

setup({ serverArgs: ["--admin", boss] });

test("a reset link sets a new password, once", async () => {
  const admin = await openUser(browser, server.url, boss, { page: false });
  const victim = await openUser(browser, server.url, uniqueName("forgot"), { page: false });
  track(admin.context);
  track(victim.context);
  const r = await admin.context.request.post(`/api/v1/admin/users/${victim.username}/reset-link`, {
    headers: { Origin: server.url },
  });
  assert.equal(r.status(), 201, await r.text());
  const { token } = await r.json();

  const context = await newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(`/#reset=${token}`);
  await page.fill("#reset-password", NEW_PASSWORD);
  await page.fill("#reset-password-again", NEW_PASSWORD + "x");
  await page.click("button[type=submit]");
  await page.getByText("The two passwords differ.").waitFor();
  await page.fill("#reset-password-again", NEW_PASSWORD);
  await page.click("button[type=submit]");
  await page.getByText("Your password is set: sign in with it.").waitFor();
  assert.equal(new URL(page.url()).hash, "");
  await page.screenshot({ path: join(tmpdir(), "parley-e2e-reset-done.png") });
  await page.fill("#auth-username", victim.username);
  await page.fill("#auth-password", NEW_PASSWORD);
  await page.click("button[type=submit]");
  await page.locator(".topbar .whoami").waitFor({ state: "attached" });

  // The same link again: refused, in words.
  const again = await (await browser.newContext({ baseURL: server.url })).newPage();
  await again.goto(`/#reset=${token}`);
  await again.fill("#reset-password", NEW_PASSWORD);
  await again.fill("#reset-password-again", NEW_PASSWORD);
  await again.click("button[type=submit]");
  await again.getByText("This link does not work any more", { exact: false }).waitFor();
  await again.context().close();
  assert.deepEqual(problems, []);
});
