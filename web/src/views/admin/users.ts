// The admin console's Users tab: search accounts, create one, and for each: disable or
// enable, a password reset link, turn two-factor sign-in off, make or remove admin, and
// its sessions (end one). Every change asks the server and then reloads the list.

import { append, clear, h } from "../../dom";
import { errText } from "../../format";
import { confirmDialog, showMenu, type MenuItem } from "../popup";
import { adminApi, type AdminSession, type AdminUser } from "./admin-api";
import { pagedList, searchBox, statusLine, when } from "./common";

/** The link a reset token makes (the web client reads it from the fragment). */
function resetUrl(token: string): string {
  return `${location.origin}/#reset=${token}`;
}

/** A read-only field holding a link to hand over, selected for copying. */
function linkField(label: string, url: string): HTMLElement {
  const input = h("input", {
    class: "admin-link",
    readOnly: true,
    value: url,
    "aria-label": label,
    onfocus: (ev: Event) => (ev.target as HTMLInputElement).select(),
  });
  return h("div", { class: "admin-linkbox" }, h("span", { text: label }), input);
}

function badges(u: AdminUser): HTMLElement {
  const box = h("span", { class: "admin-badges" });
  if (u.admin) box.appendChild(h("span", { class: "badge", text: "admin" }));
  if (u.disabled) box.appendChild(h("span", { class: "badge warn", text: "disabled" }));
  if (u.two_factor) box.appendChild(h("span", { class: "badge", text: "2FA" }));
  return box;
}

function sessionsDialog(u: AdminUser, report: (text: string) => void): void {
  const list = h("ul", { class: "dlg-list", "aria-label": `Sessions of ${u.username}` });
  const err = h("p", { class: "form-error", role: "alert" });
  const dlg = h("dialog", { class: "admin-sessions", "aria-label": `Sessions of ${u.username}` });
  const fill = async () => {
    try {
      const { sessions } = await adminApi.sessions(u.username);
      clear(list);
      if (sessions.length === 0)
        list.appendChild(h("li", { class: "muted", text: "No sessions." }));
      for (const s of sessions) list.appendChild(row(s));
    } catch (e) {
      err.textContent = errText(e);
    }
  };
  const row = (s: AdminSession) =>
    h(
      "li",
      { class: "dlg-row", "data-session-id": s.id },
      h(
        "span",
        {},
        h("strong", { text: s.device || "Unnamed device" }),
        h("span", {
          class: "muted",
          text: ` · ${s.ip} · signed in ${when(s.created_at)} · last seen ${when(s.last_seen_at)}`,
        }),
      ),
      h("button", {
        type: "button",
        class: "danger",
        text: "End",
        "aria-label": `End the session on ${s.device || "an unnamed device"}`,
        onclick: async () => {
          try {
            await adminApi.endSession(u.username, s.id);
            report(`Ended ${u.username}'s session on ${s.device || "an unnamed device"}.`);
            await fill();
          } catch (e) {
            err.textContent = errText(e);
          }
        },
      }),
    );
  append(
    dlg,
    h(
      "header",
      { class: "dlg-head" },
      h("h2", { text: `Sessions of ${u.username}` }),
      h("button", {
        type: "button",
        class: "link",
        "aria-label": "Close",
        text: "×",
        onclick: () => dlg.close(),
      }),
    ),
    list,
    err,
  );
  dlg.addEventListener("close", () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
  void fill();
}

export function usersPanel(): HTMLElement {
  const status = statusLine();
  const extra = h("div", { class: "admin-extra" });
  let q = "";
  const act = async (done: string, work: () => Promise<unknown>) => {
    clear(extra);
    try {
      await work();
      status.ok(done);
      await users.reload();
    } catch (e) {
      status.fail(e);
    }
  };
  const actions = (u: AdminUser): MenuItem[] => [
    {
      label: u.disabled ? "Enable" : "Disable",
      danger: !u.disabled,
      run: async () => {
        if (
          !u.disabled &&
          !(await confirmDialog(
            `Disable ${u.username}?`,
            "Every session of the account ends now and it cannot sign in until enabled again.",
            "Disable",
          ))
        )
          return;
        await act(`${u.username} is ${u.disabled ? "enabled" : "disabled"}.`, () =>
          adminApi.setDisabled(u.username, !u.disabled),
        );
      },
    },
    {
      label: "Reset password link",
      run: async () => {
        clear(extra);
        try {
          const link = await adminApi.resetLink(u.username);
          status.ok(
            `A reset link for ${u.username}, valid one hour, once. Earlier ones stop working.`,
          );
          extra.appendChild(linkField(`Reset link for ${u.username}`, resetUrl(link.token)));
        } catch (e) {
          status.fail(e);
        }
      },
    },
    {
      label: "Turn two-factor off",
      run: async () => {
        if (
          await confirmDialog(
            `Turn two-factor sign-in off for ${u.username}?`,
            "The account signs in with its password alone until it enrols again.",
            "Turn off",
          )
        )
          await act(`Two-factor sign-in is off for ${u.username}.`, () =>
            adminApi.reset2fa(u.username),
          );
      },
    },
    {
      label: u.admin ? "Remove admin" : "Make admin",
      danger: u.admin,
      run: () =>
        void act(`${u.username} is ${u.admin ? "no longer" : "now"} a server admin.`, () =>
          adminApi.setAdmin(u.username, !u.admin),
        ),
    },
    { label: "Sessions…", run: () => sessionsDialog(u, (t) => status.ok(t)) },
  ];
  const row = (u: AdminUser) => {
    const menu = h("button", {
      type: "button",
      class: "admin-actions",
      text: "Actions",
      "aria-haspopup": "menu",
      "aria-expanded": "false",
      "aria-label": `Actions for ${u.username}`,
      onclick: () => {
        menu.setAttribute("aria-expanded", "true");
        showMenu(menu, actions(u));
      },
    });
    return h(
      "li",
      { class: "admin-row", "data-username": u.username },
      h(
        "div",
        { class: "admin-main" },
        h("strong", { text: u.username }),
        badges(u),
        h("span", {
          class: "muted admin-meta",
          text: `created ${when(u.created_at)} · last seen ${when(u.last_seen_at)}`,
        }),
      ),
      h("span", { class: "admin-anchor" }, menu),
    );
  };
  const users = pagedList("Accounts", (cursor) => adminApi.users(q, cursor), row, status.fail);
  const panel = h(
    "section",
    { class: "admin-panel" },
    h(
      "div",
      { class: "admin-toolbar" },
      searchBox("admin-user-q", "Search usernames", (text) => {
        q = text;
        void users.reload();
      }),
      h("button", {
        type: "button",
        class: "primary",
        text: "New account",
        onclick: () => createForm.toggleAttribute("hidden"),
      }),
    ),
  );
  const createForm = newAccountForm(status, extra, () => users.reload());
  append(panel, createForm, status.el, extra, users.el);
  void users.reload();
  return panel;
}

function newAccountForm(
  status: ReturnType<typeof statusLine>,
  extra: HTMLElement,
  done: () => Promise<void>,
): HTMLFormElement {
  const name = h("input", { id: "admin-new-name", required: true, maxLength: 32 });
  const pw = h("input", {
    id: "admin-new-password",
    type: "password",
    autocomplete: "new-password",
    maxLength: 1024,
  });
  const admin = h("input", { id: "admin-new-admin", type: "checkbox" });
  return h(
    "form",
    {
      class: "stack admin-create",
      hidden: true,
      "aria-label": "New account",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        clear(extra);
        try {
          const made = await adminApi.createUser(
            name.value.trim(),
            pw.value || null,
            admin.checked,
          );
          status.ok(`Created ${made.user.username}.`);
          if (made.reset_token) {
            extra.appendChild(
              linkField(
                `Link for ${made.user.username} to choose a password`,
                resetUrl(made.reset_token),
              ),
            );
          }
          name.value = "";
          pw.value = "";
          admin.checked = false;
          await done();
        } catch (e) {
          status.fail(e);
        }
      },
    },
    h("label", { for: "admin-new-name", text: "Username" }),
    name,
    h("label", {
      for: "admin-new-password",
      text: "Password (leave empty to get a one-time link instead)",
    }),
    pw,
    h("label", { class: "check" }, admin, " Server admin"),
    h("button", { type: "submit", class: "primary", text: "Create account" }),
  );
}
