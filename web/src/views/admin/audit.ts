// The admin console's Audit tab: the trail with its filters (account, kind, address, time),
// and this node's figures from /metrics (connections, messages per minute, errors).

import { append, clear, h } from "../../dom";
import { adminApi, type AuditRow } from "./admin-api";
import { pagedList, statusLine, when } from "./common";
import { metricSum } from "./metrics";

const KINDS = [
  "login",
  "login_failed",
  "login_locked",
  "suspicious_login",
  "account_created",
  "account_disabled",
  "account_enabled",
  "admin_granted",
  "admin_revoked",
  "password_changed",
  "password_reset_link",
  "password_reset",
  "session_ended",
  "2fa_enabled",
  "2fa_disabled",
  "2fa_reset",
  "invite_created",
  "invite_revoked",
  "room_deleted",
  "room_owner_changed",
];

function field(id: string, label: string, input: HTMLElement): HTMLElement {
  return h("div", { class: "admin-field" }, h("label", { for: id, text: label }), input);
}

/** Milliseconds of a datetime-local value, or "" when empty. */
function msOf(value: string): string {
  if (!value) return "";
  const t = new Date(value).getTime();
  return Number.isFinite(t) ? String(t) : "";
}

export function auditPanel(): HTMLElement {
  const status = statusLine();
  const user = h("input", { id: "audit-user", maxLength: 32, autocomplete: "off" });
  const kind = h(
    "select",
    { id: "audit-kind" },
    h("option", { value: "", text: "Any kind" }),
    ...KINDS.map((k) => h("option", { value: k, text: k })),
  );
  const ip = h("input", { id: "audit-ip", maxLength: 64, placeholder: "10.1.2. or 2001:db8:" });
  const since = h("input", { id: "audit-since", type: "datetime-local" });
  const until = h("input", { id: "audit-until", type: "datetime-local" });
  const filters = () => ({
    user: user.value.trim(),
    kind: kind.value,
    ip: ip.value.trim(),
    since: msOf(since.value),
    until: msOf(until.value),
  });
  const row = (e: AuditRow) =>
    h(
      "li",
      { class: "admin-row audit-row" },
      h(
        "div",
        { class: "admin-main" },
        h("strong", { text: e.kind }),
        h("span", { class: "muted", text: ` user ${e.user_id}` }),
        e.count > 1 ? h("span", { class: "badge", text: `×${e.count}` }) : null,
        h("span", {
          class: "muted admin-meta",
          text: `${when(e.at)} · ${e.ip || "no address"} · ${e.device || "no device"}`,
        }),
        e.detail ? h("span", { class: "admin-detail", text: e.detail }) : null,
      ),
    );
  const trail = pagedList(
    "Audit events",
    (cursor) => adminApi.audit(filters(), cursor),
    row,
    status.fail,
  );
  const form = h(
    "form",
    {
      class: "admin-filters",
      "aria-label": "Audit filters",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        status.ok("");
        void trail.reload();
      },
    },
    field("audit-user", "Account", user),
    field("audit-kind", "Kind", kind),
    field("audit-ip", "Address", ip),
    field("audit-since", "From", since),
    field("audit-until", "Until", until),
    h("button", { type: "submit", class: "primary", text: "Filter" }),
  );
  const panel = h("section", { class: "admin-panel" });
  append(panel, serverFigures(), h("h3", { text: "Audit trail" }), form, status.el, trail.el);
  void trail.reload();
  return panel;
}

interface Sample {
  at: number;
  connections: number;
  messages: number;
  errors: number;
}

/** This node's figures from /metrics, sampled when shown and on Refresh. */
function serverFigures(): HTMLElement {
  const box = h("dl", { class: "admin-figures" });
  const note = h("p", { class: "muted admin-note" });
  let last: Sample | null = null;
  const show = (s: Sample) => {
    clear(box);
    const perMin =
      last && s.at > last.at ? ((s.messages - last.messages) * 60000) / (s.at - last.at) : null;
    const figures: [string, string][] = [
      ["Connections now", String(s.connections)],
      ["Messages per minute", perMin === null ? "–" : perMin.toFixed(1)],
      ["Messages since start", String(s.messages)],
      ["Errors since start", String(s.errors)],
    ];
    for (const [k, v] of figures) {
      box.appendChild(
        h("div", { class: "admin-figure" }, h("dt", { text: k }), h("dd", { text: v })),
      );
    }
  };
  const refresh = async () => {
    try {
      const res = await fetch("/metrics", { credentials: "same-origin" });
      if (!res.ok) throw new Error(String(res.status));
      const text = await res.text();
      const s: Sample = {
        at: Date.now(),
        connections: metricSum(text, "parley_connections") ?? 0,
        messages: metricSum(text, "parley_messages_total") ?? 0,
        errors: metricSum(text, "parley_errors_total") ?? 0,
      };
      show(s);
      last = s;
      note.textContent = "Figures of the node serving this page (each node has its own /metrics).";
    } catch {
      clear(box);
      note.textContent =
        "This page cannot read /metrics: a proxy in front of the server keeps it private. " +
        "Allow GET /metrics from this address, or read it where it is served.";
    }
  };
  void refresh();
  return h(
    "section",
    { class: "admin-server", "aria-label": "Server figures" },
    h(
      "div",
      { class: "admin-toolbar" },
      h("h3", { text: "Server" }),
      h("button", { type: "button", text: "Refresh", onclick: () => void refresh() }),
    ),
    box,
    note,
  );
}
