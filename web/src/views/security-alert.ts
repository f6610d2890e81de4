// "New sign-in from … — was this you?": shown when the server scores a login of this
// account as suspicious (the security_alert frame, docs/protocol.md). One click ends that
// session on every device; dismissing keeps it.

import { api } from "../api";
import { h } from "../dom";
import { errText, fmtTime } from "../format";
import type { ServerFrame } from "../types";

export type SecurityAlert = Extract<ServerFrame, { type: "security_alert" }>;

/** Shows the alert at the top of the page until it is answered; one per session id. */
export function showSecurityAlert(alert: SecurityAlert, root: HTMLElement = document.body): void {
  const id = `security-alert-${alert.session_id}`;
  if (document.getElementById(id)) return;
  const where = `${alert.device} at ${alert.ip}`;
  const status = h("span", { class: "security-alert-status", role: "status" });
  const box = h(
    "div",
    { id, class: "banner security-alert", role: "alert", "data-kind": "error" },
    h("span", { text: `New sign-in from ${where} (${fmtTime(alert.at)}) — was this you?` }),
    " ",
    h("button", {
      type: "button",
      class: "security-alert-end",
      text: "No, end that session",
      onclick: () => {
        status.textContent = "Ending…";
        api
          .revokeSession(alert.session_id)
          .then(() => {
            status.textContent = "That session was ended.";
            setTimeout(() => box.remove(), 4000);
          })
          .catch((e: unknown) => (status.textContent = errText(e)));
      },
    }),
    " ",
    h("button", {
      type: "button",
      class: "link security-alert-keep",
      text: "Yes, it was me",
      onclick: () => box.remove(),
    }),
    " ",
    status,
  );
  root.prepend(box);
}
