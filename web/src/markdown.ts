// Message text as rich text: Parley's Markdown subset (docs/client.md, "Message text")
// rendered by markdown-it with raw HTML off, then sanitised by DOMPurify against a short
// allow-list. What is stored, sent and searched stays the raw text; this is display only.
//
// Two locks, each enough on its own: markdown-it never passes HTML through (html: false, and
// its link validator refuses javascript:, vbscript:, file: and data: URLs), and DOMPurify
// keeps only the elements and attributes below, links only to http(s) and mailto.

import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";
import { full as emojiPlugin } from "markdown-it-emoji";

/** The elements the subset produces; anything else is dropped (its text kept). */
const TAGS = [
  "p",
  "br",
  "strong",
  "em",
  "s",
  "code",
  "pre",
  "blockquote",
  "ul",
  "ol",
  "li",
  "a",
  "span",
];
const ATTRS = ["href", "class", "start", "title"];
const SAFE_URL = /^(?:https?:|mailto:)/i;
const CODE_CLASS = /^language-[A-Za-z0-9_+#.-]{1,32}$/;
const OWN_CLASSES = new Set(["emoji", "mention", "mention-me"]);

const md = new MarkdownIt("default", {
  html: false,
  linkify: true,
  breaks: true,
  typographer: false,
})
  // Headings, tables, rules, images, indented code and reference links are not part of
  // the subset: a chat line starting with "#" or four spaces stays what it says.
  .disable(["heading", "lheading", "table", "hr", "image", "code", "reference"])
  .use(emojiPlugin, { shortcuts: {} });

// Only absolute http(s) and mailto links become links; anything else stays text.
md.validateLink = (url: string) => SAFE_URL.test(url.trim());
md.linkify.set({ fuzzyEmail: false });

const CONFIG = {
  ALLOWED_TAGS: TAGS,
  ALLOWED_ATTR: ATTRS,
  ALLOWED_URI_REGEXP: SAFE_URL,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  // a list's first number is not a URL (DOMPurify tests other attributes as URLs)
  ADD_URI_SAFE_ATTR: ["start"],
};

let hooked = false;
function purifier(): typeof DOMPurify {
  if (hooked) return DOMPurify;
  hooked = true;
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    const el = node as Element;
    if (el.tagName === "A") {
      const href = el.getAttribute("href") ?? "";
      if (!SAFE_URL.test(href)) el.removeAttribute("href");
      el.setAttribute("rel", "noopener noreferrer");
      el.setAttribute("target", "_blank");
    }
    const cls = el.getAttribute("class");
    if (cls !== null) {
      const keep = cls
        .split(/\s+/)
        .filter((c) => (el.tagName === "CODE" && CODE_CLASS.test(c)) || OWN_CLASSES.has(c));
      if (keep.length > 0) el.setAttribute("class", keep.join(" "));
      else el.removeAttribute("class");
    }
  });
  return DOMPurify;
}

/** HTML through the allow-list alone: the second lock, exported so a test can try it bare. */
export function sanitizeHtml(html: string): DocumentFragment {
  // A document DOMPurify cannot make a body for (a <frameset>) comes back as null: nothing.
  const frag = purifier().sanitize(html, { ...CONFIG, RETURN_DOM_FRAGMENT: true });
  return frag ?? document.createDocumentFragment();
}

const MENTION = /(^|[^\w@.])@([A-Za-z0-9_.-]*[A-Za-z0-9_])/g;

/**
 * Wrap each "@name" of the text (not in code or links) in a span.mention, and those that
 * name me (or @room, @here) in span.mention.mention-me. Returns whether one named me.
 */
export function markMentions(root: DocumentFragment | Element, me: string): boolean {
  let named = false;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!(n.parentElement?.closest("code, pre, a") ?? null)) texts.push(n as Text);
  }
  const mine = me.toLowerCase();
  for (const t of texts) {
    const value = t.data;
    if (!value.includes("@")) continue;
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const m of value.matchAll(MENTION)) {
      const at = (m.index ?? 0) + m[1].length;
      const name = m[2].toLowerCase();
      const isMe = name === mine || name === "room" || name === "here";
      named ||= isMe;
      frag.append(value.slice(last, at));
      const span = document.createElement("span");
      span.className = isMe ? "mention mention-me" : "mention";
      span.textContent = "@" + m[2];
      frag.append(span);
      last = at + 1 + m[2].length;
    }
    if (last === 0) continue;
    frag.append(value.slice(last));
    t.replaceWith(frag);
  }
  return named;
}

/**
 * text rendered into a fragment of sanitised elements. Whitespace-only text between blocks
 * is dropped, so a one-paragraph message's textContent is the text as typed (a line break
 * is a <br> followed by the newline, which CSS's white-space: normal does not show twice).
 */
export function renderMarkdown(text: string): DocumentFragment {
  const frag = sanitizeHtml(md.render(text));
  for (const n of [...frag.childNodes]) {
    if (n.nodeType === Node.TEXT_NODE && !n.textContent?.trim()) n.remove();
  }
  return frag;
}

/** The emoji a shortcode names (":tada:" → "🎉"), for the picker. */
export { default as emojiNames } from "markdown-it-emoji/lib/data/full.mjs";
