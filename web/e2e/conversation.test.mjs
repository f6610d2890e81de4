// End-to-end for the conversation features of the client (issue #14): rich text and its
// sanitising, drafts, grouping, phone Back, notifications. Two browser contexts against a
// real `parley serve`. Screenshots go to web/e2e-shots/ (git-ignored) for a person to look at.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  apiCall,
  launchBrowser,
  openRoom,
  openUser,
  roomButton,
  sendMessage,
  startServer,
  uniqueName,
  until,
  webDir,
} from "./harness.mjs";

let server;
let browser;
const contexts = [];
const shots = join(webDir, "e2e-shots");
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

before(async () => {
  server = await startServer(["--send-rate", "500"]);
  browser = await launchBrowser();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.stop();
});

async function user(prefix, opts) {
  const u = await openUser(browser, server.url, uniqueName(prefix), opts);
  contexts.push(u.context);
  return u;
}

async function groupRoom(owner, name, members) {
  const { room } = await apiCall(owner.context, server.url, "POST", "/api/v1/rooms", {
    name,
    topic: "",
    public: false,
  });
  for (const m of members)
    await apiCall(owner.context, server.url, "POST", `/api/v1/rooms/${room.id}/members`, {
      username: m.username,
    });
  return room;
}

/** A screenshot in light and in dark of what page shows now, named name-light/-dark.png. */
async function snap(page, name) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(shots, `${name}-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: "light" });
}

function noProblems(...users) {
  for (const u of users) assert.deepEqual(u.problems, [], `${u.username}: page problems`);
}

test("Markdown renders on the other side, and an XSS vector stays inert", async () => {
  const a = await user("mdA", { viewport: DESKTOP });
  const b = await user("mdB", { viewport: DESKTOP });
  await groupRoom(a, "rich", [b]);
  await openRoom(a.page, "rich");
  await openRoom(b.page, "rich");
  let alerts = 0;
  b.page.on("dialog", (d) => {
    alerts++;
    void d.dismiss();
  });

  await sendMessage(a.page, "**bold** _it_ ~~old~~ `x < y` :tada: [site](https://example.com)");
  await sendMessage(a.page, "```js\nconst a = 1;\n```\n> quoted\n\n- one\n- two");
  await sendMessage(a.page, `<img src=x onerror="alert(1)"> [click](javascript:alert(1))`);
  await sendMessage(a.page, "<script>alert(2)</script><svg/onload=alert(3)>");

  const last = b.page.locator(".msg .md", { hasText: "svg/onload" });
  await last.waitFor();
  const md = b.page.locator(".msg .md").first();
  assert.equal(await md.locator("strong").textContent(), "bold");
  assert.equal(await md.locator("em").textContent(), "it");
  assert.equal(await md.locator("s").textContent(), "old");
  assert.equal(await md.locator("code").textContent(), "x < y");
  assert.match(await md.textContent(), /🎉/);
  const link = md.locator("a");
  assert.equal(await link.getAttribute("href"), "https://example.com");
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
  assert.equal(await link.getAttribute("target"), "_blank");
  const block = b.page.locator(".msg .md pre code.language-js");
  assert.equal(await block.textContent(), "const a = 1;\n");
  await b.page.locator(".msg .md blockquote", { hasText: "quoted" }).waitFor();
  assert.equal(await b.page.locator(".msg .md ul li").count(), 2);

  // The vectors are text: no element, no handler, no javascript: link in the page.
  const found = await b.page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll(".items *")) {
      if (/^(SCRIPT|IMG|SVG|IFRAME)$/i.test(el.tagName)) bad.push(el.tagName);
      for (const at of el.attributes) {
        if (/^on/i.test(at.name)) bad.push(at.name);
        if (/^\s*(javascript|data|vbscript):/i.test(at.value)) bad.push(at.value);
      }
    }
    return bad;
  });
  assert.deepEqual(found, []);
  assert.match(await last.textContent(), /<script>alert\(2\)<\/script>/);
  assert.equal(alerts, 0);
  await snap(b.page, "markdown-desktop");
  noProblems(a, b);
});

test("a draft survives a room switch and a reload and is never sent elsewhere", async () => {
  const a = await user("drA", { viewport: DESKTOP });
  const b = await user("drB", { viewport: DESKTOP });
  await groupRoom(a, "first", [b]);
  await groupRoom(a, "second", [b]);
  await roomButton(a.page, "second").waitFor();
  await openRoom(a.page, "first");
  const input = a.page.locator("#composer-input");
  await input.pressSequentially("half a thought for first");

  // Another room: an empty box, and what is sent there is only what is typed there.
  await openRoom(a.page, "second");
  assert.equal(await input.inputValue(), "");
  await sendMessage(a.page, "hello second");
  await a.page.locator(".msg .text", { hasText: "hello second" }).waitFor();

  await openRoom(a.page, "first");
  assert.equal(await input.inputValue(), "half a thought for first");

  // A reload keeps it, in its room only.
  await a.page.reload();
  await a.page.locator("#room-title", { hasText: "first" }).waitFor();
  await until(async () => (await input.inputValue()) === "half a thought for first", {
    message: "draft back after reload",
  });
  await openRoom(a.page, "second");
  assert.equal(await input.inputValue(), "");
  await openRoom(a.page, "first");
  await input.press("Enter");
  await a.page.locator(".msg .text", { hasText: "half a thought for first" }).waitFor();
  assert.equal(await input.inputValue(), "");

  // Bob sees each message in its own room, and nothing stray.
  await openRoom(b.page, "second");
  await b.page.locator(".msg .text", { hasText: "hello second" }).waitFor();
  assert.equal(await b.page.locator(".msg .text", { hasText: "half a thought" }).count(), 0);
  await openRoom(b.page, "first");
  await b.page.locator(".msg .text", { hasText: "half a thought for first" }).waitFor();
  assert.equal(await b.page.locator(".msg .text", { hasText: "hello second" }).count(), 0);
  // After sending, the draft is gone: a reload shows an empty box.
  await a.page.reload();
  await a.page.locator("#room-title", { hasText: "first" }).waitFor();
  assert.equal(await input.inputValue(), "");
  noProblems(a, b);
});
