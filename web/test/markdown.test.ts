// @vitest-environment jsdom
// The rich-text renderer (src/markdown.ts): the subset renders, and the OWASP filter evasion
// vectors come out inert both through the whole renderer and through the sanitiser alone.

import { describe, expect, it } from "vitest";
import { markMentions, renderMarkdown, sanitizeHtml } from "../src/markdown";
import { OWASP_VECTORS } from "./xss-vectors";

function html(text: string): string {
  const div = document.createElement("div");
  div.appendChild(renderMarkdown(text));
  return div.innerHTML;
}

const ALLOWED_TAGS = new Set("P BR STRONG EM S CODE PRE BLOCKQUOTE UL OL LI A SPAN".split(" "));
const ALLOWED_ATTRS = new Set(["href", "class", "start", "title", "rel", "target"]);
const BAD_URL = /^(?:javascript|vbscript|data):/i;

/** Every way the DOM could run script: the list of what was found (empty when inert). */
function dangers(frag: DocumentFragment): string[] {
  const found: string[] = [];
  for (const el of frag.querySelectorAll("*")) {
    if (!ALLOWED_TAGS.has(el.tagName)) found.push(`element ${el.tagName}`);
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) found.push(`handler ${a.name}`);
      if (!ALLOWED_ATTRS.has(a.name)) found.push(`attribute ${a.name}`);
      // what a browser would see once it strips whitespace and control characters
      // eslint-disable-next-line no-control-regex -- control characters are the point
      const v = a.value.replace(/[\s\u0000-\u001f]+/g, "");
      if (BAD_URL.test(v)) found.push(`url ${a.name}=${a.value}`);
    }
    if (el.tagName === "A" && el.hasAttribute("href")) {
      const href = el.getAttribute("href")!;
      if (!/^(?:https?:|mailto:)/i.test(href)) found.push(`link ${href}`);
      if (el.getAttribute("rel") !== "noopener noreferrer") found.push("link without rel");
      if (el.getAttribute("target") !== "_blank") found.push("link without target");
    }
  }
  return found;
}

describe("the Markdown subset", () => {
  it.each([
    [
      "**bold** and *italic* and _also_",
      "<p><strong>bold</strong> and <em>italic</em> and <em>also</em></p>",
    ],
    ["~~gone~~ `a < b`", "<p><s>gone</s> <code>a &lt; b</code></p>"],
    ["```ts\nconst x = 1;\n```", '<pre><code class="language-ts">const x = 1;\n</code></pre>'],
    ["> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"],
    ["- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"],
    ["3. three\n4. four", '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>'],
    ["line one\nline two", "<p>line one<br>\nline two</p>"],
    ["party :tada:", "<p>party 🎉</p>"],
    ["# not a heading", "<p># not a heading</p>"],
    ["    not code", "<p>not code</p>"],
    ["<b>raw</b>", "<p>&lt;b&gt;raw&lt;/b&gt;</p>"],
  ])("%j renders as %j", (text, want) => {
    expect(html(text)).toBe(want);
  });

  it("links open in a new tab without referrer, only for http(s) and mailto", () => {
    expect(html("[site](https://example.com/a)")).toBe(
      '<p><a href="https://example.com/a" rel="noopener noreferrer" target="_blank">site</a></p>',
    );
    expect(html("see https://example.com")).toContain('href="https://example.com"');
    expect(html("[mail](mailto:a@example.com)")).toContain('href="mailto:a@example.com"');
    expect(html("[x](ftp://example.com)")).not.toContain("<a");
    expect(html("[x](/relative)")).not.toContain("<a");
  });

  it("a text of only a paragraph has the text as typed as its textContent", () => {
    const div = document.createElement("div");
    div.appendChild(renderMarkdown("line one\nline two"));
    expect(div.textContent).toBe("line one\nline two");
  });
});

describe("OWASP XSS filter evasion vectors", () => {
  it("there are enough of them to mean something", () => {
    expect(OWASP_VECTORS.length).toBeGreaterThan(90);
  });

  it.each(OWASP_VECTORS.map((v) => [v]))("rendered inert: %j", (vector) => {
    expect(dangers(renderMarkdown(vector))).toEqual([]);
  });

  it.each(OWASP_VECTORS.map((v) => [v]))("sanitised inert as raw HTML: %j", (vector) => {
    expect(dangers(sanitizeHtml(vector))).toEqual([]);
  });
});

describe("mentions", () => {
  function marked(text: string, me = "ann") {
    const frag = renderMarkdown(text);
    const named = markMentions(frag, me);
    const div = document.createElement("div");
    div.appendChild(frag);
    return { named, html: div.innerHTML };
  }

  it("marks @names, mine (and @room, @here) apart, not in code, links or addresses", () => {
    const me = '<span class="mention mention-me">@ann</span>';
    expect(marked("hi @bob and @ann").html).toBe(
      `<p>hi <span class="mention">@bob</span> and ${me}</p>`,
    );
    expect(marked("hi @bob").named).toBe(false);
    expect(marked("@ROOM lunch").named).toBe(true);
    expect(marked("`@ann`").html).toBe("<p><code>@ann</code></p>");
    expect(marked("mail ann@example.com").html).toBe("<p>mail ann@example.com</p>");
    expect(marked("[@ann](https://example.com)").named).toBe(false);
    expect(marked("**@ann.**").html).toBe(
      '<p><strong><span class="mention mention-me">@ann</span>.</strong></p>',
    );
  });
});
