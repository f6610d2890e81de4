// Attachments without the DOM: the per-room upload queue (progress, cancel, retry, at most
// 10 files a message), file names made safe to show and to send, human sizes, the URLs of a
// stored file and which of them may be shown inline. The XMLHttpRequest transport is
// injected (api.uploadFile in the page, a fake in test/uploads.test.ts).

import { ApiError } from "./api";
import type { FileInfo } from "./types";

/** The server's limit on files per message (docs/api.md). */
export const MAX_FILES = 10;
/** The server's limit on a file name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;

// ---- sizes and names -------------------------------------------------------------------

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** 1023 → "1023 B", 1536 → "1.5 KB", 104857600 → "100 MB" (powers of 1024). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${v} B`;
  // One decimal below 10 ("1.5 KB"), none above ("12 MB"); never "1024 KB".
  let text = v < 10 ? (Math.round(v * 10) / 10).toString() : Math.round(v).toString();
  if (text === "1024" && u < UNITS.length - 1) {
    text = "1";
    u++;
  }
  return `${text} ${UNITS[u]}`;
}

// C0/C1 controls, DEL, and the bidi controls that can make "exe.png" read as "gnp.exe".
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A file name as shown: no control or bidi-override characters, no path, whitespace
 * collapsed, at most `max` characters with the middle elided so the extension stays
 * visible. Never empty. The result still goes into the page as text only.
 */
export function displayName(name: string, max = 80): string {
  let s = name.replace(/[\t\n\r\f\v]/g, " ").replace(UNSAFE_CHARS, "");
  s = s.slice(Math.max(s.lastIndexOf("/"), s.lastIndexOf("\\")) + 1);
  s = s.replace(/\s+/g, " ").trim();
  if (!s) return "file";
  const chars = [...s];
  if (chars.length <= max) return s;
  const dot = s.lastIndexOf(".");
  const ext = dot > 0 && s.length - dot <= 12 ? [...s.slice(dot)] : [];
  const head = Math.max(1, max - 1 - ext.length - 6);
  const tail = chars.slice(chars.length - ext.length - 6);
  return chars.slice(0, head).join("") + "…" + tail.join("");
}

/**
 * The name sent with an upload: the display-safe name cut to the server's 255-byte limit
 * (keeping the extension and whole characters), so a long name never costs a 400.
 */
export function uploadName(name: string): string {
  const safe = displayName(name, Number.MAX_SAFE_INTEGER);
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  if (bytes(safe) <= MAX_NAME_BYTES) return safe;
  const dot = safe.lastIndexOf(".");
  const ext = dot > 0 && safe.length - dot <= 12 ? safe.slice(dot) : "";
  const stem = [...safe.slice(0, safe.length - ext.length)];
  while (stem.length > 0 && bytes(stem.join("") + "…" + ext) > MAX_NAME_BYTES) stem.pop();
  return stem.join("") + "…" + ext;
}

// ---- URLs and previews -------------------------------------------------------------------

const INLINE_SAFE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
/** Without a thumbnail, the full image is shown inline only up to this size. */
export const MAX_INLINE_FULL_BYTES = 10 << 20;
const MAX_INLINE_FULL_PIXELS = 50_000_000;

export function fileUrl(f: FileInfo, opts: { download?: boolean } = {}): string {
  const base = `/api/v1/rooms/${f.room}/files/${encodeURIComponent(f.id)}`;
  return opts.download ? `${base}?download=1` : base;
}

export function thumbnailUrl(f: FileInfo): string {
  return `/api/v1/rooms/${f.room}/files/${encodeURIComponent(f.id)}/thumbnail`;
}

/** The server serves these inline with their own type; everything else is a download. */
export function isInlineImage(f: FileInfo): boolean {
  return INLINE_SAFE.has(f.mime) && f.image !== null;
}

/**
 * What to put in an inline preview's <img src>: the thumbnail when there is one, else the
 * full image if it is inline-safe and small enough; null means "show a download link".
 */
export function previewSrc(f: FileInfo): string | null {
  if (f.thumbnail) return thumbnailUrl(f);
  if (!isInlineImage(f) || !f.image) return null;
  if (f.size > MAX_INLINE_FULL_BYTES || f.image.width * f.image.height > MAX_INLINE_FULL_PIXELS)
    return null;
  return fileUrl(f);
}

/**
 * The preview's box, fixed before the image loads so the timeline never jumps: the image's
 * aspect ratio fitted into maxW × maxH, never enlarged; a default box when unknown.
 */
export function previewBox(
  image: FileInfo["image"],
  maxW = 320,
  maxH = 240,
): { width: number; height: number } {
  if (!image || image.width <= 0 || image.height <= 0) return { width: maxW, height: maxH };
  const scale = Math.min(1, maxW / image.width, maxH / image.height);
  return {
    width: Math.max(1, Math.round(image.width * scale)),
    height: Math.max(1, Math.round(image.height * scale)),
  };
}

/** One line for a message that may be only files: its text, else what it carries. */
export function filesSummary(files: readonly FileInfo[]): string {
  if (files.length === 0) return "";
  if (files.length === 1) return `File: ${displayName(files[0]!.name, 60)}`;
  return `${files.length} files`;
}

// ---- upload errors -------------------------------------------------------------------------

/** What went wrong with one upload, in words for the person who tried it. */
export function uploadErrorText(e: unknown, size: number): string {
  if (!(e instanceof ApiError)) return e instanceof Error ? e.message : String(e);
  switch (e.status) {
    case 0:
      return "Upload failed: the server could not be reached. Check the connection and try again.";
    case 413:
      return `Too large: ${formatSize(size)} is more than this server accepts.`;
    case 404:
      return "Cannot upload here: the room is gone or you are no longer a member.";
    case 401:
      return "Your session has ended. Please sign in again.";
    case 503:
      return "File storage is unavailable right now. Try again later.";
    case 429:
      return "Too many uploads at once. Try again in a moment.";
    case 400:
      return `The server refused this file: ${e.message || e.code}`;
    default:
      return `Upload failed (${e.status} ${e.code}).`;
  }
}

// ---- the queue -----------------------------------------------------------------------------

export interface UploadSource {
  blob: Blob;
  name: string;
}

export interface UploadHandle {
  /** the stored file; rejects with an ApiError (status 0 for network failure or abort) */
  result: Promise<FileInfo>;
  abort(): void;
}

export type Uploader = (
  room: number,
  blob: Blob,
  name: string,
  onProgress: (loaded: number, total: number) => void,
) => UploadHandle;

export type UploadStatus = "queued" | "uploading" | "done" | "failed";

export interface UploadItem {
  readonly key: number;
  /** the name sent to the server (already display-safe and within 255 bytes) */
  readonly name: string;
  readonly size: number;
  readonly type: string;
  readonly blob: Blob;
  status: UploadStatus;
  /** bytes sent so far */
  loaded: number;
  error: string;
  file: FileInfo | null;
}

let nextKey = 1;

/**
 * The files being attached to the next message in one room. Uploads start as soon as files
 * are added, `concurrency` at a time; each can be cancelled (aborting its request) or, when
 * it failed, retried. The message may be sent once every file is uploaded.
 */
export class UploadQueue {
  private list: UploadItem[] = [];
  private running = new Map<number, UploadHandle>();
  private listeners = new Set<() => void>();

  constructor(
    readonly room: number,
    private readonly upload: Uploader,
    private readonly opts: { maxFiles?: number; concurrency?: number } = {},
  ) {}

  get items(): readonly UploadItem[] {
    return this.list;
  }

  /** Files not yet uploaded (waiting or on their way). */
  get busy(): number {
    return this.list.filter((i) => i.status === "queued" || i.status === "uploading").length;
  }

  get failed(): number {
    return this.list.filter((i) => i.status === "failed").length;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /**
   * Queue files and start uploading them. Files beyond the per-message limit and empty
   * files (or folders) are refused; returns why, or "" when everything was taken.
   */
  add(sources: readonly UploadSource[]): string {
    const max = this.opts.maxFiles ?? MAX_FILES;
    const problems: string[] = [];
    let refusedForCount = 0;
    for (const s of sources) {
      if (s.blob.size === 0) {
        problems.push(`“${displayName(s.name, 40)}” is empty or a folder: not attached.`);
        continue;
      }
      if (this.list.length >= max) {
        refusedForCount++;
        continue;
      }
      this.list.push({
        key: nextKey++,
        name: uploadName(s.name),
        size: s.blob.size,
        type: s.blob.type,
        blob: s.blob,
        status: "queued",
        loaded: 0,
        error: "",
        file: null,
      });
    }
    if (refusedForCount > 0) {
      problems.push(`At most ${max} files per message: ${refusedForCount} not attached.`);
    }
    this.pump();
    this.changed();
    return problems.join(" ");
  }

  /** Remove a file: an upload in flight is aborted. */
  cancel(key: number): void {
    const i = this.list.findIndex((x) => x.key === key);
    if (i < 0) return;
    this.list.splice(i, 1);
    const h = this.running.get(key);
    this.running.delete(key);
    h?.abort();
    this.pump();
    this.changed();
  }

  retry(key: number): void {
    const item = this.list.find((x) => x.key === key);
    if (!item || item.status !== "failed") return;
    item.status = "queued";
    item.error = "";
    item.loaded = 0;
    this.pump();
    this.changed();
  }

  /** The uploaded files, in the order they were added. */
  uploaded(): FileInfo[] {
    return this.list.filter((i) => i.status === "done" && i.file).map((i) => i.file!);
  }

  /** Why the message cannot be sent with these files yet, or "" when it can. */
  blocker(): string {
    const busy = this.busy;
    if (busy > 0)
      return busy === 1 ? "A file is still uploading." : `${busy} files are still uploading.`;
    if (this.failed > 0) return "A file failed to upload: try it again or remove it.";
    return "";
  }

  /** The message went out with the uploaded files: start afresh. */
  clearSent(): void {
    this.list = this.list.filter((i) => i.status !== "done");
    this.changed();
  }

  /** Drop everything, aborting uploads in flight (the room went away). */
  abortAll(): void {
    const handles = [...this.running.values()];
    this.running.clear();
    this.list = [];
    for (const h of handles) h.abort();
    this.changed();
  }

  private pump(): void {
    const limit = this.opts.concurrency ?? 2;
    for (const item of this.list) {
      if (this.running.size >= limit) return;
      if (item.status === "queued") this.start(item);
    }
  }

  private start(item: UploadItem): void {
    item.status = "uploading";
    item.loaded = 0;
    // (a progress callback may come before upload() has returned: compare with the handle,
    // which is why it is a let read as undefined until then, not a const)
    let handle: UploadHandle | undefined;
    // eslint-disable-next-line prefer-const
    handle = this.upload(this.room, item.blob, item.name, (loaded) => {
      if (!handle || this.running.get(item.key) !== handle) return;
      item.loaded = Math.min(loaded, item.size);
      this.changed();
    });
    this.running.set(item.key, handle);
    handle.result.then(
      (file) => {
        if (this.running.get(item.key) !== handle) return; // cancelled meanwhile
        this.running.delete(item.key);
        item.status = "done";
        item.loaded = item.size;
        item.file = file;
        this.pump();
        this.changed();
      },
      (e: unknown) => {
        if (this.running.get(item.key) !== handle) return;
        this.running.delete(item.key);
        item.status = "failed";
        item.error = uploadErrorText(e, item.size);
        this.pump();
        this.changed();
      },
    );
  }
}
