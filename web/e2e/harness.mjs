// E2E harness: a real `parley serve` on port 0 with a temp data dir serving web/dist, and
// headless Debian Chromium driven by playwright-core. Stopped by PID at the end.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
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

export async function launchBrowser() {
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
 */
export async function openUser(
  browser,
  baseUrl,
  username,
  { viewport, register = true, page: withPage = true } = {},
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
