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

/** One entry of a KeyedList: a stable key, a signature of what it shows, and its builder. */
export interface Keyed<K> {
  key: K;
  /** when it differs from the last render's, the element is built again */
  sig: string;
  make: () => HTMLElement;
}

/**
 * The children of one parent element kept in step with a list of keyed entries: an element
 * is built only for a new key or a changed signature, moved only when out of place, and
 * removed when its key is gone. Focus on a rebuilt element stays on it, and focus inside it
 * moves to its first textarea or button, so a keyboard user does not lose their place when
 * a row changes under them.
 */
export class KeyedList<K> {
  private els = new Map<K, { el: HTMLElement; sig: string }>();

  /** onDrop runs after an element left the list (its key gone, or clear()). */
  constructor(
    private readonly parent: HTMLElement,
    private readonly onDrop?: (key: K) => void,
  ) {}

  get size(): number {
    return this.els.size;
  }

  get(key: K): HTMLElement | undefined {
    return this.els.get(key)?.el;
  }

  update(entries: Iterable<Keyed<K>>): void {
    const keep = new Set<K>();
    let prev: Element | null = null;
    for (const { key, sig, make } of entries) {
      keep.add(key);
      let e = this.els.get(key);
      if (!e || e.sig !== sig) {
        const el = make();
        if (e) {
          const hadFocus = e.el.contains(document.activeElement);
          const wasFocused = e.el === document.activeElement;
          e.el.replaceWith(el);
          if (wasFocused) el.focus();
          else if (hadFocus) el.querySelector<HTMLElement>("textarea, button")?.focus();
        }
        e = { el, sig };
        this.els.set(key, e);
      }
      const want: Element | null = prev ? prev.nextElementSibling : this.parent.firstElementChild;
      if (want !== e.el) this.parent.insertBefore(e.el, want);
      prev = e.el;
    }
    for (const key of [...this.els.keys()]) if (!keep.has(key)) this.drop(key);
  }

  clear(): void {
    for (const key of [...this.els.keys()]) this.drop(key);
  }

  private drop(key: K): void {
    this.els.get(key)?.el.remove();
    this.els.delete(key);
    this.onDrop?.(key);
  }
}
