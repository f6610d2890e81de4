// Tiny DOM helpers. Text always goes in as text nodes (never innerHTML), links only as
// <a> elements built from linkify()'s http(s) parts.

import { linkify } from "./linkify";

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | ((ev: Event) => void) | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), v as EventListener);
    } else if (k === "class") {
      el.className = String(v);
    } else if (k === "text") {
      el.textContent = String(v);
    } else if (k in el && typeof v !== "string" && k !== "role") {
      (el as unknown as Record<string, unknown>)[k] = v;
    } else {
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Message text as text nodes, line breaks kept by CSS, http(s) URLs as safe links. */
export function richText(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  for (const part of linkify(text)) {
    if (part.kind === "text") {
      frag.appendChild(document.createTextNode(part.text));
    } else {
      const a = document.createElement("a");
      a.href = part.href;
      a.textContent = part.text;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      frag.appendChild(a);
    }
  }
  return frag;
}
