// The Profile dialog (account menu): my display name, status (an emoji and a line of text)
// and time zone (docs/api.md "Profiles"). The server checks every field; its message is
// shown under the form and nothing is changed.

import { api, uploadFile } from "../api";
import { append, h } from "../dom";
import { errText } from "../format";
import { people } from "../people";
import type { Profile, ProfilePatch } from "../types";
import type { ChatContext } from "./context";
import { avatarEl } from "./message";

/**
 * The picture row: my avatar at 96 px (initials without one), "Choose picture" (an image
 * file, uploaded through a room I am in, then made my avatar by PUT /me/avatar) and
 * "Remove picture". The server crops it square and checks it; its refusal is shown in `err`.
 */
function pictureRow(ctx: ChatContext, err: HTMLElement): HTMLElement {
  const preview = h("span", { class: "profile-picture" });
  const show = () => {
    const name = people.displayName(ctx.me.id, ctx.me.username);
    const el = avatarEl(ctx.me.id, name, 256);
    el.classList.add("large");
    preview.replaceChildren(el);
    remove.hidden = !people.get(ctx.me.id)?.avatar;
  };
  const input = h("input", {
    type: "file",
    id: "profile-picture-file",
    accept: "image/png,image/jpeg,image/gif,image/webp",
    class: "visually-hidden",
  });
  const choose = h("button", {
    type: "button",
    text: "Choose picture",
    onclick: () => input.click(),
  });
  const remove = h("button", {
    type: "button",
    class: "link",
    text: "Remove picture",
    onclick: async () => {
      err.textContent = "";
      try {
        const { user } = await api.removeAvatar();
        people.set(user);
        show();
      } catch (e) {
        err.textContent = errText(e);
      }
    },
  });
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    err.textContent = "";
    const room = ctx.active ?? ctx.st.roomList()[0]?.info.id;
    if (room === undefined) {
      err.textContent = "Join or create a room first: a picture is uploaded through a room.";
      return;
    }
    choose.disabled = true;
    choose.textContent = "Uploading…";
    try {
      const up = await uploadFile(room, file, file.name, () => {}).result;
      const { user } = await api.setAvatar(room, up.id);
      people.set(user);
      show();
    } catch (e) {
      err.textContent = errText(e);
    } finally {
      choose.disabled = false;
      choose.textContent = "Choose picture";
    }
  });
  show();
  return h(
    "div",
    { class: "profile-picture-row" },
    preview,
    h("div", { class: "stack" }, choose, remove, input),
  );
}

/** A modal titled "Profile" holding form; removed from the page when closed. */
function modal(form: HTMLElement): HTMLDialogElement {
  const dlg = h("dialog", { "aria-labelledby": "profile-title" });
  const close = h("button", { type: "button", class: "link", "aria-label": "Close", text: "×" });
  close.addEventListener("click", () => dlg.close());
  append(
    dlg,
    h("header", { class: "dlg-head" }, h("h2", { id: "profile-title", text: "Profile" }), close),
    form,
  );
  dlg.addEventListener("close", () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
  return dlg;
}

const QUICK_STATUS = ["🌴", "🚆", "🍽️", "🤒", "🏠", "📅", "🎧", "💬"];

function zones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  return intl.supportedValuesOf ? intl.supportedValuesOf("timeZone") : [];
}

/** A labelled input of the dialog, filled with value. */
function field(id: string, label: string, value: string | null, attrs: Record<string, unknown>) {
  const input = h("input", { id, value: value ?? "", autocomplete: "off", ...attrs });
  return { input, row: h("div", { class: "stack" }, h("label", { for: id, text: label }), input) };
}

/** "" clears a field (null); anything else is sent as typed (the server trims it). */
function patchOf(inputs: Record<keyof ProfilePatch, HTMLInputElement>): ProfilePatch {
  const patch: ProfilePatch = {};
  for (const [key, input] of Object.entries(inputs) as [keyof ProfilePatch, HTMLInputElement][]) {
    patch[key] = input.value.trim() === "" ? null : input.value;
  }
  return patch;
}

export function profileDialog(ctx: ChatContext): void {
  const me: Profile = people.get(ctx.me.id) ?? {
    ...ctx.me,
    display_name: null,
    status_text: null,
    status_emoji: null,
    time_zone: null,
  };
  const name = field("profile-name", "Display name", me.display_name, {
    maxLength: 64,
    placeholder: ctx.me.username,
  });
  const emoji = field("profile-emoji", "Status emoji", me.status_emoji, {
    class: "emoji-input",
    maxLength: 16,
    placeholder: "🙂",
  });
  const text = field("profile-status", "Status", me.status_text, {
    maxLength: 100,
    placeholder: "What are you up to?",
  });
  const zone = field("profile-zone", "Time zone", me.time_zone, {
    list: "profile-zones",
    spellcheck: "false",
    autocapitalize: "none",
  });
  const zoneList = h("datalist", { id: "profile-zones" });
  for (const z of zones()) zoneList.appendChild(h("option", { value: z }));
  const quick = h(
    "div",
    { class: "quick-status", role: "group", "aria-label": "Quick status emoji" },
    ...QUICK_STATUS.map((e) =>
      h("button", {
        type: "button",
        class: "emoji-choice",
        text: e,
        "aria-label": `Status emoji ${e}`,
        onclick: () => (emoji.input.value = e),
      }),
    ),
    h("button", {
      type: "button",
      class: "link",
      text: "Clear status",
      onclick: () => {
        emoji.input.value = "";
        text.input.value = "";
      },
    }),
  );
  const deviceZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const useDevice = h("button", {
    type: "button",
    class: "link",
    text: `Use this device's (${deviceZone})`,
    onclick: () => (zone.input.value = deviceZone),
  });
  const err = h("p", { class: "form-error", role: "alert" });
  const dlg = modal(
    h(
      "form",
      {
        class: "stack profile-form",
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          err.textContent = "";
          const patch = patchOf({
            display_name: name.input,
            status_emoji: emoji.input,
            status_text: text.input,
            time_zone: zone.input,
          });
          try {
            const { user } = await api.updateProfile(patch);
            people.set(user);
            dlg.close();
            ctx.flash("Profile saved", "info");
          } catch (e) {
            err.textContent = errText(e);
          }
        },
      },
      pictureRow(ctx, err),
      name.row,
      emoji.row,
      quick,
      text.row,
      zone.row,
      zoneList,
      useDevice,
      err,
      h("button", { type: "submit", class: "primary", text: "Save profile" }),
    ),
  );
  name.input.focus();
}
