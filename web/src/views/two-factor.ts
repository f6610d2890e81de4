// Two-factor sign-in and invites in the browser (docs/api.md "Two-factor sign-in", "Sign-up
// and invites"): the second sign-in step (a code from an authenticator app, or a recovery
// code), enrolling at sign-in when the server requires it, signing up from an invite link
// (URL/#invite=CODE), and the Security dialog that turns two-factor sign-in on or off.
// Self-contained: its own requests, so it does not touch the views others are changing.

import { ApiError } from "../api";
import { append, clear, h } from "../dom";
import { deviceName } from "../format";
import type { User } from "../types";
import { changePasswordDialog } from "./settings";

type Json = Record<string, unknown>;
type Answer = { status: number; data: Json };

async function send(method: string, path: string, body?: unknown): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "Cannot reach the server.");
  }
  if (res.status === 204) return { status: 204, data: {} };
  const data = ((await res.json().catch(() => null)) ?? {}) as Json;
  return { status: res.status, data };
}

const MESSAGES: Record<string, string> = {
  invalid_otp: "That code did not work. Codes change every 30 seconds; each works once.",
  invalid_invite:
    "This invite does not work any more (revoked, expired or used up): ask for a new one.",
  registration_closed: "Sign-up on this server needs an invite link.",
  wrong_password: "The password is wrong.",
  rate_limited: "Too many attempts. Wait a minute and try again.",
};

function failure(a: Answer): ApiError {
  const err = (a.data.error ?? {}) as { code?: string; message?: string };
  const code = err.code ?? `http_${a.status}`;
  return new ApiError(
    a.status,
    code,
    MESSAGES[code] ?? err.message ?? `The server said ${a.status}.`,
  );
}

/** The code of an invite link in the page's address (#invite=CODE), or null. */
export function inviteFromHash(hash: string = location.hash): string | null {
  const m = /^#invite=([A-Za-z0-9_-]{1,128})$/.exec(hash);
  return m ? m[1] : null;
}

const SCAN =
  "Scan this code with an authenticator app (or type the key), then enter the code it shows.";

/** A QR code the server drew (an SVG), as an image: an <img> runs no script. */
function qrImage(svg: string): HTMLImageElement {
  return h("img", {
    class: "qr",
    src: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg),
    alt: "QR code for an authenticator app",
    width: 200,
    height: 200,
  });
}

function codeInput(id: string): HTMLInputElement {
  return h("input", {
    id,
    name: "code",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    required: true,
    maxLength: 32,
    spellcheck: "false",
  });
}

function recoveryList(codes: string[]): HTMLElement {
  return h(
    "div",
    { class: "recovery" },
    h("p", {
      text:
        "Recovery codes: each one signs you in once if you lose your phone. " +
        "Keep them somewhere safe; they are not shown again.",
    }),
    h("ul", { class: "recovery-codes" }, ...codes.map((c) => h("li", {}, h("code", { text: c })))),
  );
}

/**
 * Signs in. Resolves with the user, after a second step in `host` when the account has
 * two-factor sign-in (or must enrol: --require-2fa); rejects with ApiError for a wrong
 * password and the like, as the first step answered.
 */
export async function signIn(
  host: HTMLElement,
  username: string,
  password: string,
  device: string = deviceName(),
): Promise<User> {
  const first = await send("POST", "/login", { username, password, device });
  if (first.status === 200) return first.data.user as User;
  if (first.status !== 401 || (first.data.error as Json | undefined)?.code !== "otp_required")
    throw failure(first);
  return secondStep(host, String(first.data.challenge), first.data.enrol === true);
}

/** Replaces host's content with the second sign-in step; resolves once it worked. */
function secondStep(host: HTMLElement, challenge: string, enrol: boolean): Promise<User> {
  return new Promise((resolve) => {
    let recovery = false;
    const code = codeInput("otp-code");
    const label = h("label", { for: "otp-code", text: "Code from your authenticator app" });
    const error = h("p", { class: "form-error", role: "alert" });
    const submit = h("button", { type: "submit", class: "primary", text: "Verify" });
    const swap = h("button", { type: "button", class: "link", text: "Use a recovery code" });
    const setup = h("div", { class: "enrol" });
    const form = h(
      "form",
      { class: "auth-form", "aria-labelledby": "otp-title" },
      h("h2", { id: "otp-title", text: "Two-factor sign-in" }),
      setup,
      label,
      code,
      error,
      submit,
      enrol ? null : h("p", {}, swap),
    );
    swap.addEventListener("click", () => {
      recovery = !recovery;
      label.textContent = recovery ? "Recovery code" : "Code from your authenticator app";
      swap.textContent = recovery ? "Use a code from the app" : "Use a recovery code";
      code.inputMode = recovery ? "text" : "numeric";
      error.textContent = "";
      code.focus();
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      error.textContent = "";
      submit.disabled = true;
      const value = code.value.trim();
      const body = recovery ? { challenge, recovery_code: value } : { challenge, code: value };
      const a = await send("POST", "/login/2fa", body).catch((e: ApiError) => e);
      submit.disabled = false;
      if (a instanceof ApiError) {
        error.textContent = a.message;
        return;
      }
      if (a.status !== 200) {
        error.textContent = failure(a).message;
        code.select();
        return;
      }
      const codes = (a.data.recovery_codes ?? []) as string[];
      if (codes.length === 0) return resolve(a.data.user as User);
      clear(form);
      const go = h("button", { type: "button", class: "primary", text: "Continue" });
      go.addEventListener("click", () => resolve(a.data.user as User));
      append(
        form,
        h("h2", { id: "otp-title", text: "Two-factor sign-in is on" }),
        recoveryList(codes),
        go,
      );
      go.focus();
    });
    clear(host);
    append(host, h("main", { class: "auth" }, h("h1", { class: "brand", text: "Parley" }), form));
    if (enrol) void showEnrolment(setup, challenge, error);
    code.focus();
  });
}

/** At sign-in, on a server that requires two-factor: a secret for the app, then its code. */
async function showEnrolment(
  into: HTMLElement,
  challenge: string,
  error: HTMLElement,
): Promise<void> {
  const a = await send("POST", "/login/2fa/enrol", { challenge }).catch((e: ApiError) => e);
  if (a instanceof ApiError || a.status !== 201) {
    error.textContent = a instanceof ApiError ? a.message : failure(a).message;
    return;
  }
  append(into, ...enrolmentParts(a.data));
}

function enrolmentParts(d: Json): Node[] {
  return [
    h("p", {
      text: "This server asks for a second step at sign-in. " + SCAN,
    }),
    qrImage(String(d.qr_svg)),
    h("p", { class: "secret" }, "Key: ", h("code", { text: String(d.secret) })),
  ];
}

/** Replaces root's content with a sign-up form for an invite link; done(user) once signed in. */
export function showInviteSignup(
  root: HTMLElement,
  invite: string,
  done: (me: User) => void,
): void {
  document.title = "Parley: create an account";
  clear(root);
  const user = h("input", {
    id: "invite-username",
    autocomplete: "username",
    required: true,
    minLength: 3,
    maxLength: 32,
    autocapitalize: "none",
    spellcheck: "false",
  });
  const pass = h("input", {
    id: "invite-password",
    type: "password",
    autocomplete: "new-password",
    required: true,
    minLength: 8,
  });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", text: "Create account" });
  const form = h(
    "form",
    { class: "auth-form", "aria-labelledby": "invite-title" },
    h("h2", { id: "invite-title", text: "You are invited" }),
    h("label", { for: "invite-username", text: "Choose a username" }),
    user,
    h("label", { for: "invite-password", text: "Choose a password" }),
    pass,
    error,
    submit,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      const name = user.value.trim();
      const r = await send("POST", "/register", { username: name, password: pass.value, invite });
      if (r.status !== 201) throw failure(r);
      history.replaceState(null, "", location.pathname + location.search);
      done(await signIn(root, name, pass.value));
    } catch (e) {
      error.textContent = e instanceof Error ? e.message : String(e);
      submit.disabled = false;
    }
  });
  append(root, h("main", { class: "auth" }, h("h1", { class: "brand", text: "Parley" }), form));
  user.focus();
}

/** The Security dialog: my password, and two-factor sign-in on or off. */
export function securityDialog(): HTMLDialogElement {
  const dlg = h("dialog", { "aria-labelledby": "sec-title", class: "security" });
  const body = h("div", { class: "stack" });
  const close = h("button", { type: "button", class: "link", "aria-label": "Close", text: "×" });
  close.addEventListener("click", () => dlg.close());
  const pw = h("button", { type: "button", text: "Change password…" });
  pw.addEventListener("click", () => {
    dlg.close();
    changePasswordDialog();
  });
  append(
    dlg,
    h("header", { class: "dlg-head" }, h("h2", { id: "sec-title", text: "Security" }), close),
    h("p", {}, pw),
    h("h3", { text: "Two-factor sign-in" }),
    body,
  );
  dlg.addEventListener("close", () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
  void renderTwoFactor(body);
  return dlg;
}

async function renderTwoFactor(body: HTMLElement): Promise<void> {
  clear(body);
  const s = await send("GET", "/me/2fa").catch(() => null);
  if (!s || s.status !== 200) {
    append(body, h("p", { class: "form-error", text: "Cannot read the settings." }));
    return;
  }
  if (s.data.enabled === true) {
    append(
      body,
      h("p", { class: "notice", text: `On. ${String(s.data.recovery_left)} recovery codes left.` }),
    );
    append(body, turnOffForm(body));
    return;
  }
  const start = h("button", { type: "button", class: "primary", text: "Turn on" });
  start.addEventListener("click", () => void enrolForm(body));
  append(body, h("p", { text: "Off: a password alone signs you in." }), start);
}

async function enrolForm(body: HTMLElement): Promise<void> {
  const a = await send("POST", "/me/2fa");
  clear(body);
  if (a.status !== 201) {
    append(body, h("p", { class: "form-error", text: failure(a).message }));
    return;
  }
  const code = codeInput("enrol-code");
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", text: "Turn on" });
  const form = h(
    "form",
    { class: "stack" },
    h("p", {
      text: SCAN,
    }),
    qrImage(String(a.data.qr_svg)),
    h("p", { class: "secret" }, "Key: ", h("code", { text: String(a.data.secret) })),
    h("label", { for: "enrol-code", text: "Code from the app" }),
    code,
    error,
    submit,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    const r = await send("POST", "/me/2fa/confirm", { code: code.value.trim() });
    submit.disabled = false;
    if (r.status !== 200) {
      error.textContent = failure(r).message;
      return;
    }
    clear(body);
    append(body, h("p", { class: "notice", role: "status", text: "Two-factor sign-in is on." }));
    append(body, recoveryList(r.data.recovery_codes as string[]));
  });
  append(body, form);
  code.focus();
}

function turnOffForm(body: HTMLElement): HTMLFormElement {
  const pass = h("input", {
    id: "off-password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const code = codeInput("off-code");
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", text: "Turn off" });
  const form = h(
    "form",
    { class: "stack" },
    h("label", { for: "off-password", text: "Password" }),
    pass,
    h("label", { for: "off-code", text: "Code from the app, or a recovery code" }),
    code,
    error,
    submit,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    const r = await send("POST", "/me/2fa/disable", {
      password: pass.value,
      code: code.value.trim(),
    });
    submit.disabled = false;
    if (r.status !== 204) {
      error.textContent = failure(r).message;
      return;
    }
    await renderTwoFactor(body);
  });
  return form;
}
