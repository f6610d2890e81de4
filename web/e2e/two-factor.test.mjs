// End-to-end (issue 15): on a server where sign-up needs an invite, an admin's invite link
// opened in Chromium creates an account that lands in the invite's room, and works once;
// then two-factor sign-in is turned on from the Security dialog (QR code shown, code typed)
// and the next sign-in asks for a code (web/src/views/two-factor.ts).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  browser,
  newContext,
  openUser,
  parleyBin,
  roomButton,
  server,
  setup,
  track,
  uniqueName,
  watchPage,
} from "./harness.mjs";

const PASSWORD = "correct horse battery";
setup({ serverArgs: ["--registration", "invite"] });

function createUser(name, ...flags) {
  const r = spawnSync(
    parleyBin,
    ["admin", "create-user", name, "--password-stdin", ...flags, "--data-dir", server.dataDir],
    { input: PASSWORD + "\n", encoding: "utf8", timeout: 30000 },
  );
  assert.equal(r.status, 0, r.stderr);
}

// RFC 6238 with SHA-1, 30 s, 6 digits: computed here, not asked of the server.
function totp(secretB32, step = Math.floor(Date.now() / 30000)) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secretB32.replace(/=+$/, ""))
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", key).update(msg).digest();
  const off = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, "0");
}

async function post(context, path, data) {
  const r = await context.request.post(`/api/v1${path}`, { data, headers: { Origin: server.url } });
  return { status: r.status(), json: await r.json().catch(() => null) };
}

test("an invite link signs up into its room, once", async () => {
  const boss = uniqueName("boss");
  createUser(boss, "--admin");
  const admin = await openUser(browser, server.url, boss, { register: false, page: false });
  track(admin.context);
  const room = await post(admin.context, "/rooms", { name: "welcome", public: false });
  assert.equal(room.status, 201);
  const inv = await post(admin.context, "/admin/invites", { room: room.json.room.id });
  assert.equal(inv.status, 201, JSON.stringify(inv.json));

  const context = await newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(`/#invite=${inv.json.code}`);
  await page.getByText("You are invited").waitFor();
  await page.screenshot({ path: join(tmpdir(), "parley-e2e-invite-form.png") });
  await page.fill("#invite-username", uniqueName("newbie"));
  await page.fill("#invite-password", PASSWORD);
  await page.click("button[type=submit]");
  await page.locator(".topbar .whoami").waitFor({ state: "attached" });
  await roomButton(page, "welcome").waitFor();
  assert.equal(new URL(page.url()).hash.startsWith("#invite="), false);
  await page.screenshot({ path: join(tmpdir(), "parley-e2e-invite-joined.png") });
  assert.deepEqual(problems, []);

  const again = await (await newContext()).newPage();
  await again.goto(`/#invite=${inv.json.code}`);
  await again.fill("#invite-username", uniqueName("late"));
  await again.fill("#invite-password", PASSWORD);
  await again.click("button[type=submit]");
  await again.getByText("This invite does not work any more", { exact: false }).waitFor();
  await again.screenshot({ path: join(tmpdir(), "parley-e2e-invite-spent.png") });
});

test("two-factor sign-in: enrol from Security (QR shown), then sign in with a code", async () => {
  const name = uniqueName("careful");
  createUser(name);
  const me = await openUser(browser, server.url, name, { register: false });
  track(me.context);
  const page = me.page;
  await page.locator(".topbar .whoami").click();
  await page.getByRole("menuitem", { name: "Security" }).click();
  await page.getByRole("button", { name: "Turn on" }).click();
  const qr = page.locator("img.qr");
  await qr.waitFor();
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0));
  const secret = (await page.locator(".secret code").textContent()).trim();
  await page.screenshot({ path: join(tmpdir(), "parley-e2e-2fa-enrol.png") });
  await page.fill("#enrol-code", totp(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByText("Two-factor sign-in is on.").waitFor();
  assert.equal(await page.locator(".recovery-codes li").count(), 10);
  await page.screenshot({ path: join(tmpdir(), "parley-e2e-2fa-on.png") });
  assert.deepEqual(me.problems, []);

  const context = await newContext();
  const fresh = await context.newPage();
  const problems = watchPage(fresh);
  await fresh.goto("/");
  await fresh.fill("#auth-username", name);
  await fresh.fill("#auth-password", PASSWORD);
  await fresh.click("button[type=submit]");
  await fresh.getByRole("heading", { name: "Two-factor sign-in" }).waitFor();
  await fresh.fill("#otp-code", "000000" === totp(secret) ? "111111" : "000000");
  await fresh.click("button[type=submit]");
  await fresh.getByText("That code did not work", { exact: false }).waitFor();
  await fresh.fill("#otp-code", totp(secret, Math.floor(Date.now() / 30000) + 1));
  await fresh.screenshot({ path: join(tmpdir(), "parley-e2e-2fa-step.png") });
  await fresh.click("button[type=submit]");
  await fresh.locator(".topbar .whoami").waitFor({ state: "attached" });
  assert.equal(await fresh.locator(".topbar .whoami").textContent(), name);
  assert.deepEqual(problems, []);
});
