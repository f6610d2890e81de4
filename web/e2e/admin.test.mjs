// End-to-end (issue 15): the admin console (web/src/views/admin/) in Chromium. A server admin
// opens it from the account menu and manages people (search, create with a link, disable
// and enable, make and remove admin, a reset link, sessions: ending one signs that browser
// out) and rooms (search, change owner, delete); a member's menu has no console. Desktop
// and phone widths, light and dark, with the text's contrast checked (WCAG AA).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  browser,
  openUser,
  parleyBin,
  server,
  setup,
  track,
  uniqueName,
  until,
} from "./harness.mjs";

const PASSWORD = "correct horse battery";
setup();

function createAdmin(name) {
  const r = spawnSync(
    parleyBin,
    ["admin", "create-user", name, "--admin", "--password-stdin", "--data-dir", server.dataDir],
    { input: PASSWORD + "\n", encoding: "utf8", timeout: 30000 },
  );
  assert.equal(r.status, 0, r.stderr);
}

async function post(context, path, data) {
  const r = await context.request.post(`/api/v1${path}`, { data, headers: { Origin: server.url } });
  return { status: r.status(), json: await r.json().catch(() => null) };
}

/** Opens the console from the account menu (the menu learns the role just after start). */
async function openConsole(page) {
  await until(
    async () => {
      await page.locator(".topbar .whoami").click();
      const item = page.getByRole("menuitem", { name: "Admin console" });
      if ((await item.count()) === 1) return true;
      await page.keyboard.press("Escape");
      return false;
    },
    { message: "the Admin console item" },
  );
  await page.getByRole("menuitem", { name: "Admin console" }).click();
  await page.getByRole("dialog", { name: "Admin console" }).waitFor();
}

const shot = (page, name) =>
  page.screenshot({ path: join(tmpdir(), `parley-e2e-admin-${name}.png`) });

function row(page, name) {
  return page.locator(`.admin-console .admin-row[data-username="${name}"]`);
}

/** Opens the "Actions for NAME" menu (again if a list refresh replaced its row) and picks one. */
async function act(page, name, action) {
  const item = page.getByRole("menuitem", { name: action });
  await until(
    async () => {
      await page.getByRole("button", { name: `Actions for ${name}` }).click();
      await item.click({ timeout: 2000 });
      return true;
    },
    { message: `the ${action} item for ${name}` },
  );
}

/** Types a search and waits for the server's answer to it. */
async function search(page, input, path, text) {
  const answered = page.waitForResponse(
    (r) => r.url().includes(path) && new URL(r.url()).searchParams.get("q") === text,
  );
  await page.fill(input, text);
  await answered;
}

// WCAG 2 contrast of an element's text against the nearest opaque background behind it.
async function contrastOf(locator) {
  return locator.evaluate((el) => {
    const rgb = (s) => (s.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let bg = null;
    for (let n = el; n && !bg; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) bg = c.slice(0, 3);
    }
    const fg = rgb(getComputedStyle(el).color).slice(0, 3);
    const [a, b] = [lum(fg), lum(bg ?? [255, 255, 255])].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  });
}

async function assertReadable(page) {
  const dlg = page.locator(".admin-console");
  for (const sel of [
    "[role=tab][aria-selected=true]",
    "[role=tab][aria-selected=false]",
    ".admin-meta",
    ".admin-row strong",
    ".badge",
    "label",
  ]) {
    const el = dlg.locator(sel).first();
    if ((await el.count()) === 0) continue;
    const ratio = await contrastOf(el);
    assert.ok(ratio >= 4.5, `${sel}: contrast ${ratio.toFixed(2)} is under 4.5`);
  }
}

test("a member's account menu has no admin console, and its routes say 403", async () => {
  const member = await openUser(browser, server.url, uniqueName("plain"));
  track(member.context);
  await member.page.locator(".topbar .whoami").click();
  await member.page.getByRole("menuitem", { name: "Log out" }).waitFor();
  assert.equal(await member.page.getByRole("menuitem", { name: "Admin console" }).count(), 0);
  const r = await member.context.request.get("/api/v1/admin/users");
  assert.equal(r.status(), 403);
});

test("users: search, create with a link, disable, admin role, reset link, sessions", async () => {
  const boss = uniqueName("boss");
  createAdmin(boss);
  const admin = await openUser(browser, server.url, boss, { register: false });
  track(admin.context);
  const target = await openUser(browser, server.url, uniqueName("target"));
  track(target.context);
  const page = admin.page;
  await openConsole(page);
  await shot(page, "users-desktop");
  await assertReadable(page);

  // Search narrows the list to the target.
  await search(page, "#admin-user-q", "/admin/users", target.username.slice(0, 9));
  await until(async () => (await page.locator(".admin-console .admin-row").count()) === 1, {
    message: "one search result",
  });
  await row(page, target.username).waitFor();

  // A new account without a password: the answer is a one-time link.
  await page.getByRole("button", { name: "New account" }).click();
  const fresh = uniqueName("fresh");
  await page.fill("#admin-new-name", fresh);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText(`Created ${fresh}.`).waitFor();
  const link = await page.locator(".admin-link").inputValue();
  assert.match(link, /\/#reset=[A-Za-z0-9_-]{20,}$/);
  await shot(page, "users-created");

  // A bad name is refused with the server's reason, and nothing is made.
  await page.fill("#admin-new-name", "x");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.locator(".admin-status.form-error").waitFor();

  await search(page, "#admin-user-q", "/admin/users", target.username);
  await row(page, target.username).waitFor();
  await act(page, target.username, "Make admin");
  await row(page, target.username).locator(".badge", { hasText: "admin" }).waitFor();
  await act(page, target.username, "Remove admin");
  await until(async () => (await row(page, target.username).locator(".badge").count()) === 0, {
    message: "the admin badge gone",
  });

  await act(page, target.username, "Reset password link");
  await page.getByText("A reset link for", { exact: false }).waitFor();
  assert.match(await page.locator(".admin-link").inputValue(), /#reset=/);

  // Sessions: the target's browser is listed; ending it signs that browser out.
  await act(page, target.username, "Sessions…");
  const sessions = page.getByRole("dialog", { name: `Sessions of ${target.username}` });
  await sessions.locator(".dlg-row").first().waitFor();
  await shot(page, "sessions");
  await sessions
    .getByRole("button", { name: /^End the session/ })
    .first()
    .click();
  await sessions.getByText("No sessions.").waitFor();
  await target.page.getByText("Your session has ended", { exact: false }).waitFor();
  await sessions.getByRole("button", { name: "Close" }).click();

  // Disable asks first; the badge shows; enable again.
  await act(page, target.username, "Disable");
  await page.getByRole("dialog", { name: `Disable ${target.username}?` }).waitFor();
  await page.getByRole("button", { name: "Disable", exact: true }).click();
  await row(page, target.username).locator(".badge", { hasText: "disabled" }).waitFor();
  await shot(page, "users-disabled");
  await act(page, target.username, "Enable");
  await until(async () => (await row(page, target.username).locator(".badge").count()) === 0, {
    message: "the disabled badge gone",
  });

  // The audit tab shows what was done, filtered by account.
  await page.getByRole("tab", { name: "Audit and server" }).click();
  await page.fill("#audit-user", target.username);
  await page.getByRole("button", { name: "Filter" }).click();
  await page.locator(".audit-row", { hasText: "account_disabled" }).waitFor();
  await page.locator(".audit-row", { hasText: "session_ended" }).waitFor();
  await page.locator(".admin-figures dt", { hasText: "Connections now" }).waitFor();
  await shot(page, "audit-desktop");

  // Dark, and a phone's width: no horizontal scroll, text still readable.
  await page.emulateMedia({ colorScheme: "dark" });
  await page.getByRole("tab", { name: "Users" }).click();
  await assertReadable(page);
  await shot(page, "users-dark");
  await page.setViewportSize({ width: 375, height: 740 });
  await shot(page, "users-phone-dark");
  const wide = await page
    .locator(".admin-console")
    .evaluate((d) => d.scrollWidth > d.clientWidth + 1);
  assert.equal(wide, false, "the console scrolls sideways at 375 px");
  await page.emulateMedia({ colorScheme: "light" });
  await assertReadable(page);
  await shot(page, "users-phone");

  // Keyboard: the arrow keys move between tabs.
  await page.getByRole("tab", { name: "Users" }).focus();
  await page.keyboard.press("ArrowRight");
  assert.equal(
    await page.evaluate(() => document.activeElement?.textContent),
    "Rooms",
    "ArrowRight moves to the Rooms tab",
  );
  await page.getByRole("tabpanel").filter({ hasText: "Search room names" }).waitFor();
  assert.deepEqual(admin.problems, []);
});

test("rooms: search, change owner, delete", async () => {
  const boss = uniqueName("chief");
  createAdmin(boss);
  const admin = await openUser(browser, server.url, boss, { register: false });
  track(admin.context);
  const owner = await openUser(browser, server.url, uniqueName("owner"), { page: false });
  const heir = await openUser(browser, server.url, uniqueName("heir"), { page: false });
  track(owner.context);
  track(heir.context);
  const roomName = uniqueName("Garden");
  const made = await post(owner.context, "/rooms", { name: roomName, public: false });
  assert.equal(made.status, 201);
  const id = made.json.room.id;
  const page = admin.page;
  await openConsole(page);
  await page.getByRole("tab", { name: "Rooms" }).click();
  await search(page, "#admin-room-q", "/admin/rooms", roomName);
  const r = page.locator(`.admin-console .admin-row[data-room-id="${id}"]`);
  await r.waitFor();
  assert.match(await r.textContent(), new RegExp(`1 member · owner ${owner.username}`));
  assert.match(await r.textContent(), /private/);
  await shot(page, "rooms-desktop");

  await act(page, roomName, "Change owner…");
  await page.fill("#admin-ask", heir.username);
  await page.getByRole("button", { name: "Make owner" }).click();
  await page.getByText(`${heir.username} now owns ${roomName}`, { exact: false }).waitFor();
  await until(async () => (await r.textContent()).includes(`2 members · owner ${heir.username}`), {
    message: "the new owner listed",
  });

  // A name that does not exist: the server's answer, nothing changes.
  await shot(page, "rooms-owner-changed");
  await act(page, roomName, "Change owner…");
  await page.fill("#admin-ask", uniqueName("ghost"));
  await page.getByRole("button", { name: "Make owner" }).click();
  await page.locator(".admin-status.form-error", { hasText: "no such user" }).waitFor();

  await act(page, roomName, "Delete…");
  await page.getByRole("button", { name: "Delete room" }).click();
  await page.getByText(`${roomName} is deleted.`).waitFor();
  await until(async () => (await r.count()) === 0, { message: "the room gone from the list" });
  await page.setViewportSize({ width: 375, height: 740 });
  await page.fill("#admin-room-q", "");
  await shot(page, "rooms-phone");
  assert.deepEqual(admin.problems, []);
});
