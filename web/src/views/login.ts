// The sign-in screen: sign in, or create an account and sign in, then hand the user over.

import { api } from "../api";
import { append, clear, h } from "../dom";
import { deviceName, errText } from "../format";
import type { User } from "../types";
import { signIn } from "./two-factor";

/** Replace root's content with the sign-in form; notice is shown above it when set. */
export function showLogin(root: HTMLElement, notice: string, onSignedIn: (me: User) => void): void {
  document.title = "Parley";
  document.body.classList.remove("show-room");
  clear(root);
  const { form, user } = authForm(root, onSignedIn);
  append(
    root,
    h(
      "main",
      { class: "auth" },
      h("h1", { class: "brand", text: "Parley" }),
      notice ? h("p", { class: "notice", role: "status", text: notice }) : null,
      form,
    ),
  );
  user.focus();
}

/** The form, in "Sign in" mode or, toggled, "Create account" (which then signs in). */
function authForm(root: HTMLElement, onSignedIn: (me: User) => void) {
  let mode: "login" | "register" = "login";
  const error = h("p", { class: "form-error", role: "alert" });
  const user = h("input", {
    id: "auth-username",
    name: "username",
    autocomplete: "username",
    required: true,
    minLength: 3,
    maxLength: 32,
    autocapitalize: "none",
    spellcheck: "false",
  });
  const pass = h("input", {
    id: "auth-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    minLength: 8,
  });
  const submit = h("button", { type: "submit", class: "primary", text: "Sign in" });
  const title = h("h2", { id: "auth-title", text: "Sign in" });
  const toggle = h("button", { type: "button", class: "link", text: "Create an account" });
  const form = h(
    "form",
    { class: "auth-form", "aria-labelledby": "auth-title" },
    title,
    h("label", { for: "auth-username", text: "Username" }),
    user,
    h("label", { for: "auth-password", text: "Password" }),
    pass,
    error,
    submit,
    h("p", {}, toggle),
  );
  toggle.addEventListener("click", () => {
    mode = mode === "login" ? "register" : "login";
    title.textContent = submit.textContent = mode === "login" ? "Sign in" : "Create account";
    toggle.textContent = mode === "login" ? "Create an account" : "I already have an account";
    pass.autocomplete = mode === "login" ? "current-password" : "new-password";
    error.textContent = "";
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      if (mode === "register") await api.register(user.value.trim(), pass.value);
      // A second step (two-factor sign-in) replaces this form in root when due.
      const me = await signIn(root, user.value.trim(), pass.value, deviceName());
      pass.value = "";
      onSignedIn(me);
    } catch (e) {
      error.textContent = errText(e);
      submit.disabled = false;
    }
  });
  return { form, user };
}
