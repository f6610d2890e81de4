// Attachments in the DOM: the files of a message in the timeline (inline previews and
// download links), the full-size image viewer, and the tray of uploads above the composer.
// Every file name goes in as text (displayName first); URLs are built by uploads.ts from
// the server's ids, never from anything else the uploader chose.

import { KeyedList, append, h } from "../dom";
import type { FileInfo } from "../types";
import {
  displayName,
  fileUrl,
  formatSize,
  isInlineImage,
  previewBox,
  previewSrc,
  type UploadItem,
  type UploadQueue,
} from "../uploads";

/** The files of a message: image previews in fixed boxes, other files as download links. */
export function attachmentsEl(files: readonly FileInfo[]): HTMLElement {
  const box = h("div", { class: "attachments" });
  for (const f of files) box.appendChild(previewSrc(f) ? imageEl(f) : fileLinkEl(f));
  return box;
}

function imageEl(f: FileInfo): HTMLElement {
  const name = displayName(f.name);
  const { width, height } = previewBox(f.image);
  const img = h("img", {
    src: previewSrc(f)!,
    alt: name,
    width,
    height,
    loading: "lazy",
    decoding: "async",
  });
  img.addEventListener("error", () => img.closest(".att-image")?.classList.add("broken"), {
    once: true,
  });
  // A real link (open in a new tab works), but a plain click opens the viewer in the page.
  const open = h(
    "a",
    {
      class: "att-thumb",
      href: fileUrl(f),
      target: "_blank",
      rel: "noopener",
      "aria-label": `Open image ${name}`,
    },
    img,
  );
  open.addEventListener("click", (ev) => {
    if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    openImageViewer(f);
  });
  return h(
    "figure",
    { class: "att att-image", "data-file-id": f.id },
    open,
    h(
      "figcaption",
      {},
      h("span", { class: "att-name", text: name }),
      h("span", { class: "att-size", text: formatSize(f.size) }),
      downloadLink(f, "Download"),
    ),
  );
}

function downloadLink(f: FileInfo, text: string): HTMLAnchorElement {
  const name = displayName(f.name);
  return h("a", {
    class: "att-download",
    href: fileUrl(f, { download: true }),
    download: name,
    "aria-label": `Download ${name}`,
    text,
  });
}

function fileLinkEl(f: FileInfo): HTMLElement {
  const name = displayName(f.name);
  const a = downloadLink(f, "");
  a.className = "att att-file";
  a.dataset.fileId = f.id;
  a.setAttribute("aria-label", `Download ${name}, ${formatSize(f.size)}`);
  append(
    a,
    h("span", { class: "att-icon", "aria-hidden": "true", text: "⤓" }),
    h("span", { class: "att-name", text: name }),
    h("span", { class: "att-size", text: formatSize(f.size) }),
  );
  return a;
}

/** The full image in a modal dialog, with its name and a download link. */
export function openImageViewer(f: FileInfo): HTMLDialogElement {
  const name = displayName(f.name);
  const id = "viewer-" + Math.random().toString(36).slice(2);
  const dlg = h("dialog", { class: "viewer", "aria-labelledby": id });
  const img = h("img", { src: isInlineImage(f) ? fileUrl(f) : (previewSrc(f) ?? ""), alt: name });
  if (f.image) {
    img.width = f.image.width;
    img.height = f.image.height;
  }
  append(
    dlg,
    h(
      "header",
      { class: "dlg-head" },
      h("h2", { id, text: name }),
      h("span", {
        class: "muted",
        text: formatSize(f.size) + (f.image ? ` · ${f.image.width}×${f.image.height}` : ""),
      }),
      downloadLink(f, "Download"),
      h("button", {
        type: "button",
        class: "link",
        "aria-label": "Close",
        text: "×",
        onclick: () => dlg.close(),
      }),
    ),
    h("div", { class: "viewer-body" }, img),
  );
  // A click on the backdrop (the dialog itself, outside its content) closes it.
  dlg.addEventListener("click", (ev) => ev.target === dlg && dlg.close());
  dlg.addEventListener("close", () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
  return dlg;
}

/** Names and sizes of the files a message being sent carries. */
export function pendingFilesEl(files: readonly FileInfo[]): HTMLElement {
  return h(
    "ul",
    { class: "att-chips", "aria-label": "Attached files" },
    ...files.map((f) =>
      h(
        "li",
        { class: "att-chip" },
        h("span", { class: "att-name", text: displayName(f.name, 40) }),
        " ",
        h("span", { class: "att-size", text: formatSize(f.size) }),
      ),
    ),
  );
}

const STATUS_TEXT: Record<UploadItem["status"], string> = {
  queued: "Waiting…",
  uploading: "Uploading…",
  done: "Ready",
  failed: "Failed",
};

/**
 * The attachments tray above the composer for the open room's queue: one row per file with
 * a progress bar, its state, Cancel/Remove, and Retry when it failed; plus a note line for
 * refusals ("at most 10 files") and for why the message cannot be sent yet.
 */
export class UploadTray {
  readonly el = h("div", { class: "uploads", hidden: true });
  private list = h("ul", { class: "upload-list", "aria-label": "Files to send" });
  private note = h("p", { class: "form-error upload-note", role: "alert" });
  private queue: UploadQueue | null = null;
  private unsub: (() => void) | null = null;
  /** local previews of images being sent: blob: URLs (allowed by the page's CSP) */
  private previews = new Map<number, string | null>();
  private rows = new KeyedList<number>(this.list, (key) => {
    const preview = this.previews.get(key);
    if (preview) URL.revokeObjectURL(preview);
    this.previews.delete(key);
  });

  constructor() {
    append(this.el, this.list, this.note);
  }

  show(queue: UploadQueue | null): void {
    if (queue === this.queue) return;
    this.unsub?.();
    this.unsub = null;
    this.queue = queue;
    this.setNote("");
    this.rows.clear();
    if (queue) this.unsub = queue.subscribe(() => this.render());
    this.render();
  }

  setNote(text: string): void {
    this.note.textContent = text;
    this.el.hidden = !text && this.rows.size === 0;
  }

  render(): void {
    const items = this.queue?.items ?? [];
    for (const it of items) {
      if (!this.previews.has(it.key)) {
        const image = /^image\/(png|jpeg|gif|webp)$/.test(it.type);
        this.previews.set(it.key, image ? URL.createObjectURL(it.blob) : null);
      }
    }
    // Rebuilt only when the state changes: progress moves the bar in place, so a click on
    // Cancel is never lost to a row replaced under the pointer.
    this.rows.update(
      items.map((it) => ({
        key: it.key,
        sig: `${it.status}:${it.error}`,
        make: () => this.row(it, this.previews.get(it.key) ?? null),
      })),
    );
    for (const it of items) this.progress(this.rows.get(it.key)!, it);
    this.el.hidden = !this.note.textContent && items.length === 0;
  }

  private row(it: UploadItem, preview: string | null): HTMLLIElement {
    const queue = this.queue!;
    const name = displayName(it.name, 48);
    const li = h("li", { class: "upload", "data-key": it.key, "data-status": it.status });
    const progress = h("progress", {
      class: "upload-progress",
      max: it.size,
      value: it.loaded,
      "aria-label": `Upload of ${name}`,
    });
    const stoppable = it.status === "uploading" || it.status === "queued";
    append(
      li,
      preview
        ? h("img", { class: "upload-thumb", src: preview, alt: "", width: 40, height: 40 })
        : h("span", { class: "upload-thumb att-icon", "aria-hidden": "true", text: "⤒" }),
      h(
        "div",
        { class: "upload-main" },
        h(
          "div",
          { class: "upload-line" },
          h("span", { class: "att-name", text: name }),
          h("span", { class: "upload-state muted" }),
        ),
        it.status === "done" || it.status === "failed" ? null : progress,
        it.error
          ? h("p", { class: "form-error upload-error", role: "alert", text: it.error })
          : null,
      ),
      it.status === "failed"
        ? h("button", {
            type: "button",
            class: "upload-retry",
            text: "Retry",
            "aria-label": `Retry ${name}`,
            onclick: () => queue.retry(it.key),
          })
        : null,
      h("button", {
        type: "button",
        class: "link upload-cancel",
        text: "×",
        title: stoppable ? "Cancel upload" : "Remove",
        "aria-label": `${stoppable ? "Cancel upload of" : "Remove"} ${name}`,
        onclick: () => queue.cancel(it.key),
      }),
    );
    return li;
  }

  private progress(li: HTMLElement, it: UploadItem): void {
    const pct = it.size > 0 ? Math.floor((it.loaded / it.size) * 100) : 0;
    const bar = li.querySelector("progress");
    if (bar) {
      bar.value = it.loaded;
      bar.setAttribute(
        "aria-valuetext",
        it.status === "uploading" ? `${pct}%` : STATUS_TEXT[it.status],
      );
    }
    const text =
      it.status === "uploading"
        ? `${formatSize(it.loaded)} of ${formatSize(it.size)} (${pct}%)`
        : `${formatSize(it.size)} · ${STATUS_TEXT[it.status]}`;
    const state = li.querySelector(".upload-state");
    if (state && state.textContent !== text) state.textContent = text;
  }
}
