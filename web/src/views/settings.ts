// Account settings that need no other view: setting a password from an admin's one-time
// reset link (URL/#reset=TOKEN, docs/api.md "Server admins and passwords"), and changing
// my password (which signs out my other devices). Self-contained: its own two requests.

import { append, clear, h } from "../dom";

/** The token of a reset link in the page's address (#reset=TOKEN), or null. */
export function resetTokenFromHash(hash: string = location.hash): string | null {
  const m = /^#reset=([A-Za-z0-9_-]{1,128})$/.exec(hash);
  return m ? m[1] : null;
}

const MESSAGES: Record<string, string> = {
  invalid_reset_link:
    "This link does not work any more (used, expired or replaced): ask an admin for a new one.",
  weak_password: "The password must be 8 to 1024 bytes.",
  wrong_password: "The current password is wrong.",
  rate_limited: "Too many attempts. Wait a minute and try again.",
};

/** POSTs body to /api/v1{path}; "" when it worked, else a sentence for people. */
async function post(path: string, body: unknown): Promise<string> {
  try {
    const res = await fetch(`/api/v1${path}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (res.ok) return "";
    const data = (await res.json().catch(() => null)) as {
      error?: { code?: string; message?: string };
    } | null;
    const code = data?.error?.code ?? "";
    return MESSAGES[code] ?? data?.error?.message ?? `The server said ${res.status}.`;
  } catch {
    return "Cannot reach the server.";
  }
}

function passwordInput(id: string, autocomplete: string): HTMLInputElement {
  return h("input", { id, type: "password", autocomplete, required: true, minLength: 8 });
}

/** Two new-password fields that must agree; returns the error to show, or "". */
function mismatch(a: HTMLInputElement, b: HTMLInputElement): string {
  return a.value === b.value ? "" : "The two passwords differ.";
}

/**
 * Replaces root's content with a form that sets a new password from a reset link's token;
 * when it worked, drops the token from the address and calls done(notice) (e.g. to show
 * the sign-in screen with that notice).
 */
export function showPasswordReset(
  root: HTMLElement,
  token: string,
  done: (notice: string) => void,
): void {
  document.title = "Parley: set a password";
  clear(root);
  const pass = passwordInput("reset-password", "new-password");
  const again = passwordInput("reset-password-again", "new-password");
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", text: "Set password" });
  const form = h(
    "form",
    { class: "auth-form", "aria-labelledby": "reset-title" },
    h("h2", { id: "reset-title", text: "Set a new password" }),
    h("label", { for: "reset-password", text: "New password" }),
    pass,
    h("label", { for: "reset-password-again", text: "New password, again" }),
    again,
    error,
    submit,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = mismatch(pass, again);
    if (error.textContent) return;
    submit.disabled = true;
    const failed = await post("/password-reset", { token, password: pass.value });
    submit.disabled = false;
    if (failed) {
      error.textContent = failed;
      return;
    }
    history.replaceState(null, "", location.pathname + location.search);
    done("Your password is set: sign in with it.");
  });
  append(root, h("main", { class: "auth" }, h("h1", { class: "brand", text: "Parley" }), form));
  pass.focus();
}

/** A modal dialog to change my password; my other devices are signed out when it works. */
export function changePasswordDialog(): HTMLDialogElement {
  const current = passwordInput("pw-current", "current-password");
  const next = passwordInput("pw-new", "new-password");
  const again = passwordInput("pw-new-again", "new-password");
  const error = h("p", { class: "form-error", role: "alert" });
  const status = h("p", { class: "notice", role: "status" });
  const submit = h("button", { type: "submit", class: "primary", text: "Change password" });
  const dlg = h("dialog", { "aria-labelledby": "pw-title" });
  const form = h(
    "form",
    { class: "stack" },
    h("label", { for: "pw-current", text: "Current password" }),
    current,
    h("label", { for: "pw-new", text: "New password" }),
    next,
    h("label", { for: "pw-new-again", text: "New password, again" }),
    again,
    error,
    status,
    submit,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = mismatch(next, again);
    if (error.textContent) return;
    submit.disabled = true;
    const failed = await post("/me/password", {
      current_password: current.value,
      new_password: next.value,
    });
    submit.disabled = false;
    error.textContent = failed;
    if (failed) return;
    current.value = next.value = again.value = "";
    status.textContent = "Password changed. Your other devices are signed out.";
  });
  const close = h("button", { type: "button", class: "link", "aria-label": "Close", text: "×" });
  close.addEventListener("click", () => dlg.close());
  append(
    dlg,
    h("header", { class: "dlg-head" }, h("h2", { id: "pw-title", text: "Password" }), close),
    form,
  );
  dlg.addEventListener("close", () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
  current.focus();
  return dlg;
}
