// End-to-end (issue #14): desktop notifications follow the notification level the server
// keeps for each member and room. B's tab is hidden (document.visibilityState, as the client
// checks it) while the room is open in it; A, in another browser context, writes. With `all`
// a plain message raises a notification; with `mentions` only a mention of B does; with
// `none`, or muted, nothing does; the tab title counts what the level says. The level is set
// where the server keeps it (B's other device, or B's menu) and B's page follows it.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  api,
  controlVisibility,
  DESKTOP,
  groupRoom,
  noProblems,
  notes,
  openRoom,
  openUser,
  postMessage,
  recordNotifications,
  roomButton,
  server,
  browser,
  setHidden,
  setup,
  snap,
  track,
  until,
  user,
} from "./harness.mjs";

setup({ serverArgs: ["--send-rate", "500"] });

/** Waits until B's page has raised `n` notifications in all, and returns their bodies. */
async function bodiesAfter(page, n) {
  const got = await until(async () => ((await notes(page)).length >= n ? notes(page) : null), {
    message: `${n} notification(s)`,
  });
  return got.map((x) => x.body);
}

/** Waits until B's page shows `text` in the open room (the message reached it live). */
async function arrived(page, text) {
  await page.locator(".timeline .msg .text", { hasText: text }).waitFor();
}

async function titleIs(page, title) {
  await until(async () => (await page.title()) === title, { message: `title "${title}"` });
}

test("notifications and the tab title follow the level the server keeps", async () => {
  const a = await user("lvA", { viewport: DESKTOP });
  const b = await user("lvB", {
    viewport: DESKTOP,
    init: async (context) => {
      await recordNotifications(context);
      await controlVisibility(context);
      // The chime: count the tones started (two per notification).
      await context.addInitScript(() => {
        window.__tones = 0;
        const real = AudioContext.prototype.createOscillator;
        AudioContext.prototype.createOscillator = function () {
          window.__tones++;
          return real.call(this);
        };
      });
    },
  });
  const room = await groupRoom(a, "levels", [b]);
  await roomButton(b.page, "levels").waitFor();
  await openRoom(b.page, "levels");
  const bell = b.page.getByRole("button", { name: "Desktop notifications" });
  assert.equal(await bell.getAttribute("aria-pressed"), "true");
  // A gesture on the page lets the browser play the chime later (autoplay rules).
  await b.page.locator("#composer-input").click();
  await setHidden(b.page, true);

  // all (the default): a plain message raises one, with its sound, and the title counts it.
  await postMessage(a, room.id, "plain one");
  assert.deepEqual(await bodiesAfter(b.page, 1), ["plain one"]);
  assert.equal(await b.page.evaluate(() => window.__tones), 2);
  await titleIs(b.page, "(1) Parley");

  // mentions, set from B's other device: after a reload B's page follows the server.
  const other = await openUser(browser, server.url, b.username, { register: false, page: false });
  track(other.context);
  await api(other, "PUT", `/api/v1/rooms/${room.id}/notifications`, { level: "mentions" });
  await b.page.reload();
  await b.page.getByRole("button", { name: "Notifications: Mentions only" }).waitFor();
  // the unread plain message no longer counts in the title
  await titleIs(b.page, "Parley");
  await postMessage(a, room.id, "plain two");
  await arrived(b.page, "plain two");
  await postMessage(a, room.id, `@${b.username} mention one`);
  assert.deepEqual(await bodiesAfter(b.page, 1), [`@${b.username} mention one`]);
  await titleIs(b.page, "(1) Parley");
  assert.equal(await b.page.locator('link[rel="icon"]').getAttribute("data-badge"), "1");
  await snap(b.page, "levels-mentions-desktop");

  // none, chosen in B's menu (kept by the server): a mention raises nothing, counts nothing.
  await b.page.getByRole("button", { name: "Notifications: Mentions only" }).click();
  await b.page.getByRole("menuitem", { name: "Nothing" }).click();
  await b.page.getByRole("button", { name: "Notifications: Nothing" }).waitFor();
  await until(
    async () => {
      const { rooms } = await api(other, "GET", "/api/v1/rooms");
      return rooms.find((r) => r.id === room.id).notifications.level === "none";
    },
    { message: "the level none kept by the server" },
  );
  await titleIs(b.page, "Parley");
  await postMessage(a, room.id, "plain three");
  await postMessage(a, room.id, `@${b.username} mention two`);
  await arrived(b.page, "mention two");
  await titleIs(b.page, "Parley");
  assert.deepEqual(
    (await notes(b.page)).map((n) => n.body),
    [`@${b.username} mention one`],
  );

  // all but muted (from the other device, then a reload): nothing either.
  await api(other, "PUT", `/api/v1/rooms/${room.id}/notifications`, {
    level: "all",
    muted: true,
  });
  await b.page.reload();
  await b.page.getByRole("button", { name: "Notifications: muted" }).waitFor();
  await b.page.locator("#composer-input").click(); // the chime could play: it must not
  await titleIs(b.page, "Parley");
  await postMessage(a, room.id, "plain four");
  await postMessage(a, room.id, `@${b.username} mention three`);
  await arrived(b.page, "mention three");
  await titleIs(b.page, "Parley");
  assert.deepEqual(await notes(b.page), []);
  assert.equal(await b.page.evaluate(() => window.__tones), 0); // and no sound

  // Unmuted in B's menu: the next plain message raises one again.
  await b.page.getByRole("button", { name: "Notifications: muted" }).click();
  await b.page.getByRole("menuitem", { name: "Unmute room" }).click();
  await b.page.getByRole("button", { name: "Notifications: All messages" }).waitFor();
  await postMessage(a, room.id, "plain five");
  assert.deepEqual(await bodiesAfter(b.page, 1), ["plain five"]);

  // Nothing else was raised on the way (each reload starts a fresh record).
  assert.deepEqual(
    (await notes(b.page)).map((n) => n.body),
    ["plain five"],
  );
  // Shown again, B reads the room: the title is plain.
  await setHidden(b.page, false);
  await titleIs(b.page, "Parley");
  noProblems(a, b);
});

test("permission is asked when the bell is pressed, not on load", async () => {
  const u = await user("askC", {
    viewport: DESKTOP,
    init: (context) =>
      context.addInitScript(() => {
        window.__asked = 0;
        const real = Notification.requestPermission.bind(Notification);
        Notification.requestPermission = (...args) => {
          window.__asked++;
          return real(...args);
        };
      }),
  });
  assert.equal(await u.page.evaluate(() => window.__asked), 0);
  const bell = u.page.getByRole("button", { name: "Desktop notifications" });
  await bell.click();
  await until(async () => (await u.page.evaluate(() => window.__asked)) === 1, {
    message: "the permission asked once, on the bell",
  });
  noProblems(u);
});
