// End-to-end for message search in the client (issue 13): a misspelled word finds its
// message, the matched word is marked, and picking the hit opens the room at that message
// (loaded with ?around=SEQ when it is older than the page the room holds), scrolled to and
// highlighted; the same by keyboard only (/, a room suggestion, arrows, Enter). Screenshots
// go to web/e2e-shots/search-*.png (git-ignored) for a person to look at.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  api,
  DESKTOP,
  groupRoom,
  openRoom,
  PHONE,
  postMessage,
  setup,
  snap,
  until,
  user,
} from "./harness.mjs";

// Searches come faster here than a person types them: lift the per-user search rate.
setup({ serverArgs: ["--send-rate", "1000", "--search-rate", "100"] });

/**
 * A room of `name` shared by owner and others, with 40 messages, the one to find, then 80
 * more: the newest page of 50 does not hold it. Returns the room and the seq to find.
 */
async function roomWithHistory(owner, others, name, needle) {
  const room = await groupRoom(owner, name, others);
  for (let i = 0; i < 40; i++) await postMessage(owner, room.id, `early chatter number ${i}`);
  const seq = (await postMessage(owner, room.id, needle)).seq;
  let last = seq;
  for (let i = 0; i < 80; i++)
    last = (await postMessage(owner, room.id, `later chatter number ${i}`)).seq;
  return { room, seq, last };
}

/** Wait until the server's index finds q (indexing runs behind sends). */
async function indexed(u, q) {
  await until(
    async () => {
      const r = await u.context.request.get(`/api/v1/search?q=${encodeURIComponent(q)}`);
      return r.status() === 200 && (await r.json()).hits.length > 0;
    },
    { message: `search index to find ${q}`, timeout: 15000, interval: 200 },
  );
}

/** The message with seq is in the timeline's view, and highlighted as the opened hit. */
async function landedOn(page, seq) {
  const row = page.locator(`.items .msg[data-seq="${seq}"]`);
  await row.waitFor();
  await until(
    () =>
      page.evaluate((s) => {
        const el = document.querySelector(`.items .msg[data-seq="${s}"]`);
        const tl = document.querySelector(".timeline");
        if (!el || !tl || !el.classList.contains("hit")) return false;
        const a = el.getBoundingClientRect();
        const b = tl.getBoundingClientRect();
        return a.top >= b.top && a.bottom <= b.bottom;
      }, seq),
    { message: `message ${seq} scrolled to and highlighted` },
  );
}

test("a misspelled word finds the message; picking the hit opens it in its room", async () => {
  const a = await user("srA", { viewport: DESKTOP });
  const b = await user("srB", { viewport: DESKTOP });
  const { room, seq, last } = await roomWithHistory(
    a,
    [b],
    "garden",
    "the tomato harvest was enormous",
  );
  // Read: the room opens at its newest page, which does not reach the hit.
  await api(b, "POST", `/api/v1/rooms/${room.id}/read`, { seq: last });
  await api(b, "POST", "/api/v1/rooms", { name: "kitchen", topic: "" });
  await indexed(b, "enormous");
  await b.page.reload();
  await openRoom(b.page, "garden");
  await openRoom(b.page, "kitchen");

  // A slash in the composer is a slash; outside it, "/" goes to the search box.
  await b.page.locator("#composer-input").type("a/b");
  assert.equal(await b.page.locator("#composer-input").inputValue(), "a/b");
  await b.page.locator("#composer-input").fill("");
  await b.page.locator(".timeline").focus();
  await b.page.keyboard.press("/");
  await until(() => b.page.evaluate(() => document.activeElement?.id === "search-input"));
  await b.page.keyboard.type("enourmous");
  await b.page.keyboard.press("Enter");
  const hit = b.page.locator(`.search-hit[data-seq="${seq}"]`);
  await hit.waitFor();
  assert.equal((await hit.locator("mark").allTextContents()).join(" "), "enormous");
  assert.match(await hit.locator(".search-snippet").textContent(), /tomato harvest was enormous/);
  assert.match(await b.page.locator(".search-group-title").first().textContent(), /garden/);
  await snap(b.page, "search-results-desktop");

  // The chips: "Has file" narrows to nothing, and pressed again it is gone.
  await b.page.locator(".search-chips .chip", { hasText: "Has file" }).click();
  assert.equal(await b.page.locator("#search-input").inputValue(), "enourmous has:file");
  await b.page.locator(".search-status", { hasText: "No messages match" }).waitFor();
  await b.page.locator('.search-chips .chip[aria-pressed="true"]').click();
  assert.equal(await b.page.locator("#search-input").inputValue(), "enourmous");
  await hit.waitFor();

  // Paging: 120 messages match "chatter"; 20 come first, "More results" brings 20 more.
  await b.page.locator("#search-input").fill("chatter");
  await b.page.keyboard.press("Enter");
  await until(async () => (await b.page.locator(".search-hit").count()) === 20);
  assert.match(await b.page.locator(".search-count").first().textContent(), /^120 matches$/);
  await b.page.locator("#search-more").click();
  await until(async () => (await b.page.locator(".search-hit").count()) === 40);
  assert.equal(await b.page.locator(".search-group").count(), 1, "one room, one group");

  await b.page.locator("#search-input").fill("enourmous");
  await b.page.keyboard.press("Enter");
  // The room holds its newest 50 messages; the hit is older, so it is read ?around= it.
  const arounds = [];
  b.page.on("request", (r) => /\/messages\?around=/.test(r.url()) && arounds.push(r.url()));
  await hit.click();
  await b.page.locator("#room-title", { hasText: "garden" }).waitFor();
  await landedOn(b.page, seq);
  assert.equal(await b.page.locator(".search-panel").isHidden(), true);
  // One unbroken run from the window to the newest: paging older and reading on both work.
  const texts = await b.page.locator(".items .msg .text").allTextContents();
  assert.ok(texts.includes("later chatter number 79"), "the newest message is there too");
  assert.ok(texts.includes("early chatter number 39"), "the one before the hit is there");
  assert.equal(arounds.length, 1);
  assert.match(arounds[0], new RegExp(`around=${seq}&`));
  await snap(b.page, "search-opened-desktop");

  // Ctrl+K still switches rooms.
  await b.page.keyboard.press("Control+k");
  await b.page.locator("dialog.switcher").waitFor();
  await b.page.keyboard.press("Escape");
  assert.deepEqual(b.problems, []);
});

test("by keyboard only, on a phone: /, a room suggestion, a word, arrows and Enter", async () => {
  const a = await user("skA", { viewport: PHONE });
  const b = await user("skB", { viewport: PHONE });
  const { seq } = await roomWithHistory(a, [b], "orchard", "pruning the pear trees tomorrow");
  await indexed(b, "pruning");
  await b.page.reload();
  await b.page.locator(".room-item").first().waitFor();

  await b.page.keyboard.press("/");
  await b.page.keyboard.type("#orc");
  const sugg = b.page.locator(".search-sugg", { hasText: "orchard" });
  await sugg.waitFor();
  await snap(b.page, "search-suggest-phone");
  await until(async () => {
    await b.page.keyboard.press("ArrowDown");
    return (await sugg.getAttribute("aria-selected")) === "true";
  });
  await b.page.keyboard.press("Enter");
  assert.equal(await b.page.locator("#search-input").inputValue(), "in:orchard ");
  await b.page.keyboard.type("prunning");
  await b.page.keyboard.press("Enter");
  const hit = b.page.locator(`.search-hit[data-seq="${seq}"]`);
  await hit.waitFor();
  assert.equal(await hit.locator("mark").textContent(), "pruning");
  await snap(b.page, "search-results-phone");
  await b.page.keyboard.press("ArrowDown");
  assert.equal(await hit.getAttribute("aria-selected"), "true");
  assert.equal(
    await b.page.locator("#search-input").getAttribute("aria-activedescendant"),
    `search-hit-${await hit.getAttribute("data-room")}-${seq}`,
  );
  await b.page.keyboard.press("Enter");
  await b.page.locator("#room-title", { hasText: "orchard" }).waitFor();
  await landedOn(b.page, seq);
  // The keyboard is on the message now: Up moves to the one before it.
  assert.equal(await b.page.evaluate(() => document.activeElement?.dataset.seq), String(seq));
  await b.page.keyboard.press("ArrowUp");
  assert.equal(await b.page.evaluate(() => document.activeElement?.dataset.seq), String(seq - 1));
  await snap(b.page, "search-opened-phone");

  // Escape closes the panel and leaves the query; the next Escape clears it.
  await b.page.keyboard.press("/");
  await b.page.locator(".search-panel").waitFor();
  await b.page.keyboard.press("Escape");
  assert.equal(await b.page.locator(".search-panel").isHidden(), true);
  await b.page.keyboard.press("Escape");
  assert.equal(await b.page.locator("#search-input").inputValue(), "");
  assert.deepEqual(b.problems, []);
});
