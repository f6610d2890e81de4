// E2E harness: a real `parley serve` on port 0 with a temp data dir serving web/dist, and
// headless Debian Chromium driven by playwright-core. Stopped by PID at the end.
//
// A test file calls setup() once at its top: it registers the before/after hooks that start
// the server and the browser and close every context the file made. `server` and `browser`
// are live bindings that the hooks fill in; user(), groupRoom(), api(), postMessage(),
// newContext(), snap() and noProblems() work against them.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const webDir = resolve(here, "..");
export const distDir = join(webDir, "dist");
export const parleyBin =
  process.env.PARLEY_BIN ?? resolve(webDir, "../build/release/src/app/parley");
export const chromiumBin = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

export async function startServer(extraArgs = []) {
  if (!existsSync(join(distDir, "index.html")))
    throw new Error(`no ${distDir}/index.html: run npm run build first`);
  if (!existsSync(parleyBin)) throw new Error(`no parley binary at ${parleyBin} (set PARLEY_BIN)`);
  const dataDir = mkdtempSync(join(tmpdir(), "parley-e2e-"));
  const child = spawn(
    parleyBin,
    [
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--static-dir",
      distDir,
      "--log-level",
      "warn",
      // e2e tests register users freely (a new install's default is invite)
      ...(extraArgs.some((a) => a.startsWith("--registration")) ? [] : ["--registration", "open"]),
      ...extraArgs,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((res, rej) => {
    let out = "";
    const timer = setTimeout(
      () => rej(new Error("parley did not start in 15 s: " + stderr)),
      15000,
    );
    child.stdout.on("data", (d) => {
      out += d;
      const m = /parley listening on (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`parley exited with ${code}: ${stderr}`));
    });
  });
  child.stdout.resume();
  return {
    url,
    dataDir,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(child.pid, "SIGTERM");
        const t = setTimeout(
          () => child.exitCode === null && process.kill(child.pid, "SIGKILL"),
          5000,
        );
        await exited;
        clearTimeout(t);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(extraArgs = []) {
  if (!existsSync(chromiumBin))
    throw new Error(
      `no browser at ${chromiumBin}: apt-get install -y chromium (or set CHROMIUM_BIN)`,
    );
  // playwright gives every launch a fresh temporary --user-data-dir of its own.
  return chromium.launch({
    executablePath: chromiumBin,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}

let counter = 0;
export function uniqueName(prefix) {
  counter++;
  return `${prefix}${counter}_${Date.now().toString(36).slice(-4)}`;
}

/** Poll until fn() is truthy (expect-style), failing with the last value after timeoutMs. */
export async function until(fn, { timeout = 10000, interval = 50, message = "condition" } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${message}; last: ${JSON.stringify(String(last))}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * A signed-in browser page. The user is registered through the REST API and logged in by the
 * context's request API, which shares the cookie jar with the page (the HttpOnly cookie).
 * `init(context)`, if given, runs before the page opens (init scripts, permissions).
 */
export async function openUser(
  browser,
  baseUrl,
  username,
  { viewport, register = true, page: withPage = true, init } = {},
) {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: viewport ?? { width: 1100, height: 760 },
  });
  if (register) {
    const r = await context.request.post("/api/v1/register", {
      data: { username, password: "correct horse battery" },
    });
    if (r.status() !== 201)
      throw new Error(`register ${username}: ${r.status()} ${await r.text()}`);
  }
  const l = await context.request.post("/api/v1/login", {
    data: { username, password: "correct horse battery", device: "e2e" },
  });
  if (l.status() !== 200) throw new Error(`login ${username}: ${l.status()} ${await l.text()}`);
  if (!withPage) return { context, page: null, problems: [], username };
  await init?.(context); // e.g. init scripts, before the first page loads
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto("/");
  await page.locator(".topbar .whoami").waitFor({ state: "attached" });
  await waitLive(page);
  return { context, page, problems, username };
}

/** Collect CSP violations and uncaught errors: the tests assert there are none. */
export function watchPage(page) {
  const problems = [];
  page.on("pageerror", (e) => problems.push("pageerror: " + e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text()))
      problems.push("csp: " + m.text());
  });
  return problems;
}

export async function waitLive(page, timeout = 10000) {
  await page.waitForFunction(() => document.body.dataset.conn === "live", null, { timeout });
}

/** A cookie-authenticated REST call from the context, with the Origin a browser would send. */
export async function apiCall(ctx, baseUrl, method, path, data) {
  const r = await ctx.request.fetch(path, { method, data, headers: { Origin: baseUrl } });
  if (r.status() >= 300) throw new Error(`${method} ${path}: ${r.status()} ${await r.text()}`);
  return r.status() === 204 ? null : r.json();
}

export function roomButton(page, name) {
  return page.locator(".room-item", { has: page.locator(".room-name", { hasText: name }) });
}

export async function openRoom(page, name) {
  await roomButton(page, name).click();
  await page.locator("#room-title", { hasText: name }).waitFor();
}

export async function sendMessage(page, text) {
  const input = page.locator("#composer-input");
  await input.fill(text);
  await input.press("Enter");
}

/** Texts of the messages shown in the open room, in order (pending ones included). */
export async function timelineTexts(page) {
  return page.locator(".items .msg .text").allTextContents();
}

// ---- The per-file set-up and the helpers every test file shares ----

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
/** Screenshots for a person to look at (git-ignored). */
export const shotsDir = join(webDir, "e2e-shots");

/** The file's server and browser, set by setup()'s before hook (live bindings). */
export let server;
export let browser;
const contexts = [];

/**
 * Registers the file's hooks: before, a server with `serverArgs` and a browser with
 * `browserArgs` (either may be a function, called in the hook, for arguments made then);
 * after, every tracked context closed, the browser and the server stopped, then `cleanup`.
 */
export function setup({ serverArgs = [], browserArgs = [], cleanup } = {}) {
  before(async () => {
    const sArgs = typeof serverArgs === "function" ? await serverArgs() : serverArgs;
    server = await startServer(sArgs);
    const bArgs = typeof browserArgs === "function" ? await browserArgs() : browserArgs;
    browser = await launchBrowser(bArgs);
    mkdirSync(shotsDir, { recursive: true });
  });
  after(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    await cleanup?.();
  });
}

/** Closes `context` with the others after the file's tests. */
export function track(context) {
  contexts.push(context);
  return context;
}

/** A fresh signed-out context on the file's server (closed at the end). */
export async function newContext(opts = {}) {
  return track(await browser.newContext({ baseURL: server.url, ...opts }));
}

/** A newly registered, signed-in user with a page open (see openUser for `opts`). */
export async function user(prefix, opts) {
  const u = await openUser(browser, server.url, uniqueName(prefix), opts);
  track(u.context);
  return u;
}

/** A REST call as `who` (a user from user() or a browser context). */
export function api(who, method, path, data) {
  return apiCall(who.context ?? who, server.url, method, path, data);
}

/** A private group room of `owner` with `members` added; returns the room. */
export async function groupRoom(owner, name, members = []) {
  const { room } = await api(owner, "POST", "/api/v1/rooms", { name, topic: "", public: false });
  for (const m of members)
    await api(owner, "POST", `/api/v1/rooms/${room.id}/members`, { username: m.username });
  return room;
}

/** Sends `text` to a room through the REST API; returns the stored message. */
export async function postMessage(who, roomId, text, extra = {}) {
  const body = { client_msg_id: uniqueName("m"), text, ...extra };
  const { message } = await api(who, "POST", `/api/v1/rooms/${roomId}/messages`, body);
  return message;
}

/** Screenshots of what page shows now in light and in dark: shotsDir/name-light|dark.png. */
export async function snap(page, name) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(shotsDir, `${name}-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** Asserts no page of `users` had a CSP violation or an uncaught error. */
export function noProblems(...users) {
  for (const u of users) assert.deepEqual(u.problems, [], `${u.username}: page problems`);
}

/**
 * Grants `context` the Notification permission and records every notification its pages
 * raise in window.__notes ({title, body}); the real Notification is still made.
 */
export async function recordNotifications(context) {
  await context.grantPermissions(["notifications"], { origin: server.url });
  await context.addInitScript(() => {
    const Real = window.Notification;
    window.__notes = [];
    class Recorded extends Real {
      constructor(title, opts) {
        window.__notes.push({ title, body: opts?.body ?? "" });
        super(title, opts);
      }
    }
    Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
    Recorded.requestPermission = (...args) => Real.requestPermission(...args);
    window.Notification = Recorded;
  });
}

/** The notifications a page of recordNotifications() has raised so far. */
export function notes(page) {
  return page.evaluate(() => window.__notes);
}

/**
 * Lets the test hide and show `context`'s tab: document.visibilityState, document.hidden
 * and document.hasFocus() answer as a hidden tab does after window.__setHidden(true) (kept
 * across reloads), and a visibilitychange event is fired, as the browser does.
 */
export async function controlVisibility(context) {
  await context.addInitScript(() => {
    let hidden = sessionStorage.getItem("e2e-hidden") === "1";
    const proto = Document.prototype;
    Object.defineProperty(proto, "visibilityState", {
      configurable: true,
      get: () => (hidden ? "hidden" : "visible"),
    });
    Object.defineProperty(proto, "hidden", { configurable: true, get: () => hidden });
    const realFocus = proto.hasFocus;
    proto.hasFocus = function () {
      return !hidden && realFocus.call(this);
    };
    window.__setHidden = (h) => {
      hidden = h;
      sessionStorage.setItem("e2e-hidden", h ? "1" : "0");
      document.dispatchEvent(new Event("visibilitychange"));
    };
  });
}

/** Hides (or shows) the tab of a page of controlVisibility(). */
export function setHidden(page, hidden) {
  return page.evaluate((h) => window.__setHidden(h), hidden);
}

/** A real PNG drawn by the browser itself (OffscreenCanvas), as bytes. */
export async function makePng(page, width, height) {
  const bytes = await page.evaluate(
    async ([w, h]) => {
      const c = new OffscreenCanvas(w, h);
      const g = c.getContext("2d");
      const grad = g.createLinearGradient(0, 0, w, h);
      grad.addColorStop(0, "#ff7e5f");
      grad.addColorStop(1, "#2457c5");
      g.fillStyle = grad;
      g.fillRect(0, 0, w, h);
      g.fillStyle = "#fff";
      g.font = `${Math.round(h / 5)}px sans-serif`;
      g.fillText("Parley", w / 5, h / 2);
      const blob = await c.convertToBlob({ type: "image/png" });
      return [...new Uint8Array(await blob.arrayBuffer())];
    },
    [width, height],
  );
  return Buffer.from(bytes);
}
