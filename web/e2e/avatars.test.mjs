// End-to-end (issue 15): an avatar chosen in the Profile dialog (an image uploaded through a
// room, made the avatar by PUT /me/avatar, cropped square by the server) shows in the other
// browser context live: in the timeline, the member list and the mention list, and in the
// dialog itself; a file that is not an image is refused in words; removing it brings the
// initials back, live. Desktop and 375 px phone widths, light and dark.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DESKTOP,
  groupRoom,
  makePng,
  noProblems,
  openRoom,
  roomButton,
  sendMessage,
  setup,
  snap,
  until,
  user,
} from "./harness.mjs";

setup({ serverArgs: ["--send-rate", "500"] });

async function openProfile(page) {
  await page.locator(".topbar .whoami").click();
  await page.getByRole("menuitem", { name: "Profile" }).click();
  await page.locator("#profile-name").waitFor();
}

/** Whether the avatar in `locator` shows a picture that loaded (not the initials). */
function pictureLoaded(locator) {
  return locator.evaluate((el) => {
    const img = el.querySelector("img");
    return !!img && img.complete && img.naturalWidth > 0;
  });
}

test("an avatar set in one browser shows in the other, live; removed, initials again", async () => {
  const a = await user("avA", { viewport: DESKTOP });
  const b = await user("avB", { viewport: DESKTOP });
  await groupRoom(a, "faces", [b]);
  await openRoom(a.page, "faces");
  await openRoom(b.page, "faces");
  await sendMessage(a.page, "before the picture");
  const rowAvatar = b.page.locator(".timeline .msg > .avatar").first();
  await rowAvatar.waitFor();
  assert.equal(await rowAvatar.locator("img").count(), 0);

  // Not an image: refused in words, nothing changes.
  await openProfile(a.page);
  await a.page.locator("#profile-picture-file").setInputFiles({
    name: "notes.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("just words\n"),
  });
  await a.page.getByText("not a PNG, JPEG, GIF or WebP image", { exact: false }).waitFor();

  // A wide picture: cropped square by the server, shown at once in the dialog.
  const png = await makePng(a.page, 600, 300);
  await a.page.locator("#profile-picture-file").setInputFiles({
    name: "me.png",
    mimeType: "image/png",
    buffer: png,
  });
  const preview = a.page.locator(".profile-picture .avatar");
  await until(() => pictureLoaded(preview), { message: "the picture in the dialog" });
  assert.equal(await a.page.locator(".profile-form .form-error").textContent(), "");
  await snap(a.page, "avatar-dialog-desktop");
  await a.page.keyboard.press("Escape");

  // B: the timeline row, live (the profile frame), without a reload.
  await until(() => pictureLoaded(rowAvatar), { message: "the picture in B's timeline" });
  const size = await rowAvatar.locator("img").evaluate((i) => [i.naturalWidth, i.naturalHeight]);
  assert.deepEqual(size, [64, 64]);
  await sendMessage(a.page, "after the picture");
  await b.page.locator(".timeline .msg .text", { hasText: "after the picture" }).waitFor();
  await snap(b.page, "avatar-timeline-desktop");

  // The member list.
  await b.page.getByRole("button", { name: "Members" }).click();
  const memberAvatar = b.page.locator(`[data-member="${a.username}"] .avatar`);
  await until(() => pictureLoaded(memberAvatar), { message: "the picture in the member list" });
  await snap(b.page, "avatar-members-desktop");
  await b.page.keyboard.press("Escape");

  // The mention list.
  const input = b.page.locator("#composer-input");
  await input.fill("@" + a.username.slice(0, 4));
  const option = b.page.locator(".mention-suggest li", { hasText: a.username });
  await option.waitFor();
  await until(() => pictureLoaded(option.locator(".avatar")), { message: "the mention list's" });
  await snap(b.page, "avatar-mention-desktop");
  await input.fill("");

  // A phone, 375 px wide.
  await b.page.setViewportSize({ width: 375, height: 740 });
  await until(() => pictureLoaded(rowAvatar), { message: "the picture on a phone" });
  await snap(b.page, "avatar-timeline-phone");
  await openProfile(a.page);
  await a.page.setViewportSize({ width: 375, height: 740 });
  await until(() => pictureLoaded(preview), { message: "the dialog on a phone" });
  await snap(a.page, "avatar-dialog-phone");

  // Removed: the dialog and B's timeline show initials again, live.
  await a.page.getByRole("button", { name: "Remove picture" }).click();
  await until(async () => (await preview.locator("img").count()) === 0, {
    message: "initials in the dialog",
  });
  await a.page.keyboard.press("Escape");
  await until(async () => (await rowAvatar.locator("img").count()) === 0, {
    message: "initials in B's timeline",
  });
  assert.match(await rowAvatar.textContent(), /^[A-Z0-9]{1,2}$/);
  await roomButton(b.page, "faces").waitFor({ state: "attached" });
  noProblems(a, b);
});
