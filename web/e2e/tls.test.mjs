// End-to-end over TLS: Chromium loads the client from `parley serve --tls-cert --hsts` with a
// certificate from a CA this test makes (openssl CLI), and the client's WebSocket goes over
// wss://. Certificate errors are not ignored: the browser trusts exactly the server's key
// (--ignore-certificate-errors-spki-list, a pin), and a browser without the pin refuses it.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { launchBrowser, newContext, server, setup, uniqueName, waitLive } from "./harness.mjs";

const openssl = (...args) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });

/** A CA and a server certificate for 127.0.0.1 signed by it, and the SPKI pin of its key. */
function makePki(dir) {
  const f = (name) => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const ca = ["-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "1", "-subj", "/CN=e2e CA"];
  openssl("req", "-x509", ...ec, ...ca);
  openssl("req", ...ec, "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=e2e");
  writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    f("server.csr"),
    "-CA",
    f("ca.pem"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    f("ext.cnf"),
    "-out",
    f("server.crt"),
  );
  const der = openssl("pkey", "-in", f("server.key"), "-pubout", "-outform", "DER");
  const spki = createHash("sha256").update(der).digest("base64");
  return { cert: f("server.crt"), key: f("server.key"), spki };
}

let dir;
let pki;

// The CA and the certificate are made in the before hook, ahead of the server; the browser
// trusts exactly the server's key (a pin), not every certificate.
setup({
  serverArgs: () => {
    dir = mkdtempSync(join(tmpdir(), "parley-e2e-tls-"));
    pki = makePki(dir);
    return ["--tls-cert", pki.cert, "--tls-key", pki.key, "--hsts"];
  },
  browserArgs: () => [`--ignore-certificate-errors-spki-list=${pki.spki}`],
  cleanup: () => dir && rmSync(dir, { recursive: true, force: true }),
});

test("the client loads over https, signs in and goes live over wss", async () => {
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const context = await newContext(); // ignoreHTTPSErrors: false
  const page = await context.newPage();
  const sockets = [];
  page.on("websocket", (ws) => sockets.push(ws.url()));
  const res = await page.goto("/");
  assert.equal(res.headers()["strict-transport-security"], "max-age=63072000");
  const username = uniqueName("tls");
  const statuses = await page.evaluate(async (username) => {
    const post = (path, body) =>
      fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }).then((r) => r.status);
    const password = "correct horse battery";
    return [
      await post("/api/v1/register", { username, password }),
      await post("/api/v1/login", { username, password, device: "e2e-tls" }),
    ];
  }, username);
  assert.deepEqual(statuses, [201, 200]);
  await page.reload();
  await waitLive(page);
  assert.ok(sockets.length > 0, "no WebSocket opened");
  for (const url of sockets) assert.match(url, /^wss:\/\/127\.0\.0\.1:\d+\/api\/v1\/ws$/);
});

test("a browser that does not trust the certificate refuses the page", async () => {
  const plain = await launchBrowser();
  try {
    const page = await (await plain.newContext()).newPage();
    await assert.rejects(page.goto(server.url + "/"), /ERR_CERT/);
  } finally {
    await plain.close();
  }
});
