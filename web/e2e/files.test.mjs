// End-to-end: file attachments between browser contexts against a real `parley serve`
// (local blob store in its temp data dir, a small --max-upload so the 413 path is cheap).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  makePng,
  api,
  groupRoom,
  noProblems,
  openRoom,
  roomButton,
  sendMessage,
  setup,
  until,
  user,
} from "./harness.mjs";

const MAX_UPLOAD = 1 << 20; // 1 MiB

setup({ serverArgs: ["--max-upload", String(MAX_UPLOAD)] });

/** Two users in a fresh group room, both looking at it. */
async function pair(prefixA, prefixB, roomName) {
  const a = await user(prefixA);
  const b = await user(prefixB);
  const room = await groupRoom(a, roomName, [b]);
  await roomButton(a.page, roomName).waitFor();
  await roomButton(b.page, roomName).waitFor();
  await openRoom(a.page, roomName);
  await openRoom(b.page, roomName);
  return { a, b, room };
}

async function download(page, link) {
  const [dl] = await Promise.all([page.waitForEvent("download"), link.click()]);
  return { name: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
}

const uploadRow = (page, status) => page.locator(`.uploads .upload[data-status="${status}"]`);

test(
  "an image sent by one user is previewed for another, opens full size, downloads, " +
    "and goes with its message",
  { timeout: 90000 },
  async () => {
    const { a, b, room } = await pair("ann", "ben", "photos");
    const png = await makePng(a.page, 400, 300);
    const name = 'sunset <b onmouseover="x">.png';

    await a.page
      .locator("#attach-input")
      .setInputFiles({ name, mimeType: "image/png", buffer: png });
    await uploadRow(a.page, "done").waitFor();
    assert.equal(await a.page.locator(".uploads .upload .att-name").textContent(), name);
    await sendMessage(a.page, "look at this");
    await a.page.locator(".uploads").waitFor({ state: "hidden" });

    // Ben sees the preview: a loaded image, in the box fixed from the image's size.
    const msg = b.page.locator(".msg", {
      has: b.page.locator(".text", { hasText: "look at this" }),
    });
    const img = msg.locator(".att-image img");
    await img.waitFor();
    await until(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), {
      message: "preview loaded",
    });
    const shown = await img.evaluate((el) => ({
      src: el.getAttribute("src"),
      w: el.clientWidth,
      h: el.clientHeight,
      alt: el.alt,
    }));
    assert.match(
      shown.src,
      new RegExp(`^/api/v1/rooms/${room.id}/files/[A-Za-z0-9_-]{22}/thumbnail$`),
      "the thumbnail, not the full image",
    );
    assert.deepEqual(
      [shown.w, shown.h],
      [320, 240],
      "box fixed before load: 400x300 fitted into 320x240",
    );
    assert.equal(shown.alt, name);
    // The name is text, never markup.
    assert.equal(await msg.locator(".att-name").textContent(), name);
    assert.equal(await b.page.locator(".items b, .items [onmouseover]").count(), 0);

    // A click opens the full image in the page.
    await msg.locator(".att-thumb").click();
    const full = b.page.locator("dialog.viewer img");
    await until(
      () =>
        full.evaluate((el) => el.complete && el.naturalWidth === 400 && el.naturalHeight === 300),
      { message: "full image loaded" },
    );
    await b.page.keyboard.press("Escape");
    await b.page.locator("dialog.viewer").waitFor({ state: "detached" });

    // Download: the very bytes Ann sent, under a safe name.
    const got = await download(b.page, msg.locator(".att-download"));
    assert.ok(got.bytes.equals(png), "downloaded bytes are the uploaded bytes");
    assert.match(got.name, /\.png$/);
    assert.doesNotMatch(got.name, /[<>"/\\]/);

    // Deleting the message takes the file with it: gone from Ben's timeline and from the server.
    const fileUrl = await msg.locator(".att-thumb").getAttribute("href");
    const aMsg = a.page.locator(".msg:not(.pending)", {
      has: a.page.locator(".text", { hasText: "look at this" }),
    });
    await aMsg.hover();
    await aMsg.getByRole("button", { name: "More actions" }).click();
    await aMsg.getByRole("menuitem", { name: "Delete message" }).click();
    await a.page
      .getByRole("dialog", { name: "Delete this message?" })
      .getByRole("button", { name: "Delete" })
      .click();
    await b.page.locator(".msg.deleted .tombstone").waitFor();
    assert.equal(await b.page.locator(".items .att-image, .items .att-file").count(), 0);
    await until(async () => (await b.context.request.get(fileUrl)).status() === 404, {
      message: "file 404 after delete",
    });
    noProblems(a, b);
  },
);

test(
  "files dropped onto the room are uploaded and sent; others get download links with name and size",
  { timeout: 60000 },
  async () => {
    const { a, b } = await pair("cat", "dan", "drops");
    const png = await makePng(a.page, 64, 48);
    // A real drop event carrying real File objects, built in the page.
    const dt = await a.page.evaluateHandle(
      (pngBytes) => {
        const d = new DataTransfer();
        d.items.add(new File(["hello, files\n"], "notes.txt", { type: "text/plain" }));
        d.items.add(new File([new Uint8Array(pngBytes)], "tiny.png", { type: "image/png" }));
        return d;
      },
      [...png],
    );
    await a.page.dispatchEvent(".room", "dragenter", { dataTransfer: dt });
    await a.page.locator(".room.dropping .drop-hint").waitFor();
    await a.page.dispatchEvent(".timeline", "dragover", { dataTransfer: dt });
    await a.page.dispatchEvent(".timeline", "drop", { dataTransfer: dt });
    await a.page.locator(".room:not(.dropping)").waitFor();
    await until(async () => (await uploadRow(a.page, "done").count()) === 2, {
      message: "two uploads done",
    });
    // No text: the files are the message.
    await a.page.locator("#composer-input").press("Enter");

    const link = b.page.locator(".items .att-file", { hasText: "notes.txt" });
    await link.waitFor();
    assert.equal(await link.locator(".att-name").textContent(), "notes.txt");
    assert.equal(await link.locator(".att-size").textContent(), "13 B");
    assert.match(await link.getAttribute("href"), /\?download=1$/);
    const img = b.page.locator(".items .att-image img");
    await until(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), {
      message: "tiny preview loaded",
    });
    assert.deepEqual(
      await img.evaluate((el) => [el.clientWidth, el.clientHeight]),
      [64, 48],
      "small images are not enlarged",
    );
    const got = await download(b.page, link);
    assert.equal(got.bytes.toString(), "hello, files\n");
    assert.equal(got.name, "notes.txt");
    // The room list says what the message carries.
    await roomButton(a.page, "drops").locator(".room-preview", { hasText: "2 files" }).waitFor();
    noProblems(a, b);
  },
);

test(
  "pasting an image into the message box attaches it; pasting text stays text",
  { timeout: 60000 },
  async () => {
    const { a, b } = await pair("hal", "ida", "pastes");
    const png = await makePng(a.page, 120, 90);
    const input = a.page.locator("#composer-input");
    await input.focus();
    const paste = (withText) =>
      a.page.evaluate(
        ([bytes, text]) => {
          const d = new DataTransfer();
          if (text) d.setData("text/plain", text);
          else d.items.add(new File([new Uint8Array(bytes)], "image.png", { type: "image/png" }));
          const ev = new ClipboardEvent("paste", {
            clipboardData: d,
            bubbles: true,
            cancelable: true,
          });
          return document.getElementById("composer-input").dispatchEvent(ev);
        },
        [[...png], withText],
      );
    assert.equal(await paste(""), false, "an image paste is taken over");
    await uploadRow(a.page, "done").waitFor();
    assert.equal(await paste("just words"), true, "a text paste is left to the browser");
    assert.equal(await a.page.locator(".uploads .upload").count(), 1);
    await sendMessage(a.page, "screenshot");
    const img = b.page.locator(".msg", { hasText: "screenshot" }).locator(".att-image img");
    await until(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), {
      message: "pasted image previewed",
    });
    noProblems(a, b);
  },
);

test(
  "an oversized file shows the 413 error and cannot be sent; removing it clears the way",
  { timeout: 60000 },
  async () => {
    const a = await user("eve");
    await api(a, "POST", "/api/v1/rooms", {
      name: "limits",
      topic: "",
      public: false,
    });
    await roomButton(a.page, "limits").waitFor();
    await openRoom(a.page, "limits");
    const big = Buffer.alloc(MAX_UPLOAD + 200 * 1024, 7);
    await a.page
      .locator("#attach-input")
      .setInputFiles({ name: "huge.bin", mimeType: "application/octet-stream", buffer: big });
    const failed = uploadRow(a.page, "failed");
    await failed.waitFor();
    assert.equal(
      await failed.locator(".upload-error").textContent(),
      "Too large: 1.2 MB is more than this server accepts.",
    );
    await a.page.locator("#composer-input").fill("with the big file");
    await a.page.locator("#composer-input").press("Enter");
    await a.page.locator(".upload-note", { hasText: "failed to upload" }).waitFor();
    assert.equal(await a.page.locator(".items .msg").count(), 0, "nothing sent");
    await failed.getByRole("button", { name: "Remove huge.bin" }).click();
    await a.page.locator("#composer-input").press("Enter");
    await a.page.locator(".msg .text", { hasText: "with the big file" }).waitFor();
    assert.equal(await a.page.locator(".uploads").isVisible(), false);
    noProblems(a);
  },
);

test(
  "upload progress is shown and an upload in flight can be cancelled; a network failure says so",
  { timeout: 60000 },
  async () => {
    const a = await user("fay");
    await api(a, "POST", "/api/v1/rooms", {
      name: "slow",
      topic: "",
      public: false,
    });
    await roomButton(a.page, "slow").waitFor();
    await openRoom(a.page, "slow");
    // A slow uplink (Chromium's own network emulation) makes the upload take seconds.
    const cdp = await a.context.newCDPSession(a.page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 64 * 1024,
    });
    const body = Buffer.alloc(900 * 1024, 1);
    await a.page
      .locator("#attach-input")
      .setInputFiles({ name: "slow.bin", mimeType: "application/octet-stream", buffer: body });
    const row = uploadRow(a.page, "uploading");
    await row.waitFor();
    const bar = row.locator("progress");
    await until(
      async () => {
        const [value, max] = await bar.evaluate((el) => [el.value, el.max]);
        return max === body.length && value > 0 && value < max;
      },
      { message: "partial progress", timeout: 20000 },
    );
    assert.match(await row.locator(".upload-state").textContent(), /KB of 900 KB \(\d+%\)/);
    await row.getByRole("button", { name: "Cancel upload of slow.bin" }).click();
    await a.page.locator(".uploads").waitFor({ state: "hidden" });
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });

    // The connection drops under the upload: a clear message and a Retry that works.
    let failOnce = true;
    await a.page.route("**/api/v1/rooms/*/files?*", (route) => {
      if (failOnce) {
        failOnce = false;
        return route.abort("connectionreset");
      }
      return route.continue();
    });
    await a.page.locator("#attach-input").setInputFiles({
      name: "again.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("second try"),
    });
    const failed = uploadRow(a.page, "failed");
    await failed.waitFor();
    assert.match(await failed.locator(".upload-error").textContent(), /could not be reached/);
    await failed.getByRole("button", { name: "Retry again.txt" }).click();
    await uploadRow(a.page, "done").waitFor();
    await a.page.locator("#composer-input").press("Enter");
    await a.page.locator(".items .att-file .att-name", { hasText: "again.txt" }).waitFor();
    noProblems(a);
  },
);

test("at most 10 files per message", { timeout: 60000 }, async () => {
  const a = await user("gus");
  await api(a, "POST", "/api/v1/rooms", {
    name: "many",
    topic: "",
    public: false,
  });
  await roomButton(a.page, "many").waitFor();
  await openRoom(a.page, "many");
  const files = Array.from({ length: 12 }, (_, i) => ({
    name: `f${i}.txt`,
    mimeType: "text/plain",
    buffer: Buffer.from(`file ${i}`),
  }));
  await a.page.locator("#attach-input").setInputFiles(files);
  await a.page
    .locator(".upload-note", { hasText: "At most 10 files per message: 2 not attached." })
    .waitFor();
  await until(async () => (await uploadRow(a.page, "done").count()) === 10, {
    message: "10 uploaded",
  });
  await a.page.locator("#composer-input").press("Enter");
  const sent = a.page.locator(".items .msg:not(.pending)");
  await until(async () => (await sent.locator(".att-file").count()) === 10, {
    message: "10 attached",
  });
  assert.deepEqual(
    await sent.locator(".att-file .att-name").allTextContents(),
    files.slice(0, 10).map((f) => f.name),
  );
  noProblems(a);
});
