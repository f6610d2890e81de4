import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api";
import type { FileInfo } from "../src/types";
import {
  MAX_INLINE_FULL_BYTES,
  UploadQueue,
  displayName,
  fileUrl,
  filesSummary,
  formatSize,
  previewBox,
  previewSrc,
  thumbnailUrl,
  uploadErrorText,
  uploadName,
  type UploadHandle,
} from "../src/uploads";

export function fileInfo(extra: Partial<FileInfo> = {}): FileInfo {
  return {
    id: "Xc8aaaaaaaaaaaaaaaaaaa",
    room: 7,
    name: "cat.png",
    size: 12345,
    mime: "image/png",
    uploader: 1,
    created_at: 1,
    image: { width: 800, height: 600 },
    thumbnail: true,
    ...extra,
  };
}

describe("formatSize", () => {
  it("uses bytes below 1 KB and one decimal below 10 of a unit", () => {
    expect(formatSize(0)).toBe("0 B");
    expect(formatSize(1)).toBe("1 B");
    expect(formatSize(1023)).toBe("1023 B");
    expect(formatSize(1024)).toBe("1 KB");
    expect(formatSize(1536)).toBe("1.5 KB");
    expect(formatSize(10 * 1024 - 1)).toBe("10 KB");
    expect(formatSize(12345)).toBe("12 KB");
    expect(formatSize(104857600)).toBe("100 MB");
    expect(formatSize(3.25 * 1024 ** 3)).toBe("3.3 GB");
  });
  it("never shows 1024 of a unit", () => {
    expect(formatSize(1024 * 1024 - 1)).toBe("1 MB");
    expect(formatSize(1024 ** 3 - 1)).toBe("1 GB");
  });
  it("says ? for nonsense", () => {
    expect(formatSize(-1)).toBe("?");
    expect(formatSize(Number.NaN)).toBe("?");
  });
});

describe("file names", () => {
  it("drops control and bidi-override characters and path parts", () => {
    expect(displayName("evil\u202egnp.exe")).toBe("evilgnp.exe");
    expect(displayName("a\u0000b\nc\u0085.txt")).toBe("ab c.txt");
    expect(displayName("../../etc/passwd")).toBe("passwd");
    expect(displayName("C:\\Users\\me\\report.pdf")).toBe("report.pdf");
    expect(displayName("  lots   of\tspace .md ")).toBe("lots of space .md");
  });
  it("is never empty", () => {
    expect(displayName("")).toBe("file");
    expect(displayName("\u202e\u0001")).toBe("file");
    expect(displayName("dir/")).toBe("file");
  });
  it("elides the middle of long names and keeps the extension", () => {
    const long = "a".repeat(200) + ".jpeg";
    const d = displayName(long, 40);
    expect([...d]).toHaveLength(40);
    expect(d.endsWith("aaaaaa.jpeg")).toBe(true);
    expect(d).toContain("…");
  });
  it("keeps HTML as inert text (it is only ever put in with textContent)", () => {
    expect(displayName('<img src=x onerror="alert(1)">.png')).toBe(
      '<img src=x onerror="alert(1)">.png',
    );
  });
  it("upload names fit the server's 255-byte limit in whole characters", () => {
    const bytes = (s: string) => new TextEncoder().encode(s).length;
    const name = "é".repeat(300) + ".png";
    const u = uploadName(name);
    expect(bytes(u)).toBeLessThanOrEqual(255);
    expect(u.endsWith("….png")).toBe(true);
    expect(u).not.toContain("\ufffd");
    expect(uploadName("😀".repeat(100))).toSatisfy(
      (s: string) => bytes(s) <= 255 && !s.includes("\ufffd"),
    );
    expect(uploadName("short.txt")).toBe("short.txt");
    expect(uploadName("")).toBe("file");
  });
});

describe("previews and URLs", () => {
  it("builds the file, download and thumbnail URLs from the server's ids", () => {
    const f = fileInfo({ id: "a-b_c", room: 12 });
    expect(fileUrl(f)).toBe("/api/v1/rooms/12/files/a-b_c");
    expect(fileUrl(f, { download: true })).toBe("/api/v1/rooms/12/files/a-b_c?download=1");
    expect(thumbnailUrl(f)).toBe("/api/v1/rooms/12/files/a-b_c/thumbnail");
  });
  it("prefers the thumbnail, falls back to small inline-safe images, else a download link", () => {
    expect(previewSrc(fileInfo())).toMatch(/\/thumbnail$/);
    expect(previewSrc(fileInfo({ thumbnail: false }))).toBe(
      "/api/v1/rooms/7/files/Xc8aaaaaaaaaaaaaaaaaaa",
    );
    expect(previewSrc(fileInfo({ thumbnail: false, size: MAX_INLINE_FULL_BYTES + 1 }))).toBeNull();
    expect(
      previewSrc(fileInfo({ thumbnail: false, image: { width: 10000, height: 10000 } })),
    ).toBeNull();
    expect(previewSrc(fileInfo({ thumbnail: false, mime: "image/svg+xml" }))).toBeNull();
    expect(
      previewSrc(fileInfo({ thumbnail: false, mime: "application/pdf", image: null })),
    ).toBeNull();
    expect(previewSrc(fileInfo({ thumbnail: false, image: null }))).toBeNull();
  });
  it("fixes the preview box from the image size, never enlarging", () => {
    expect(previewBox({ width: 800, height: 600 })).toEqual({ width: 320, height: 240 });
    expect(previewBox({ width: 600, height: 1200 })).toEqual({ width: 120, height: 240 });
    expect(previewBox({ width: 3000, height: 100 })).toEqual({ width: 320, height: 11 });
    expect(previewBox({ width: 50, height: 40 })).toEqual({ width: 50, height: 40 });
    expect(previewBox(null)).toEqual({ width: 320, height: 240 });
    expect(previewBox({ width: 0, height: 0 })).toEqual({ width: 320, height: 240 });
  });
  it("summarises a message of files only", () => {
    expect(filesSummary([])).toBe("");
    expect(filesSummary([fileInfo({ name: "a\u202eb.txt" })])).toBe("File: ab.txt");
    expect(filesSummary([fileInfo(), fileInfo()])).toBe("2 files");
  });
});

describe("upload errors", () => {
  it("says what happened for each documented failure", () => {
    expect(uploadErrorText(new ApiError(413, "too_large", "x"), 200 * 1024 * 1024)).toBe(
      "Too large: 200 MB is more than this server accepts.",
    );
    expect(uploadErrorText(new ApiError(404, "not_found", "x"), 1)).toMatch(
      /room is gone or you are no longer a member/,
    );
    expect(uploadErrorText(new ApiError(0, "network", "x"), 1)).toMatch(/could not be reached/);
    expect(uploadErrorText(new ApiError(503, "unavailable", "x"), 1)).toMatch(
      /storage is unavailable/,
    );
    expect(uploadErrorText(new ApiError(400, "bad_request", "name too long"), 1)).toBe(
      "The server refused this file: name too long",
    );
    expect(uploadErrorText(new ApiError(500, "internal", "x"), 1)).toBe(
      "Upload failed (500 internal).",
    );
  });
});

// ---- the queue, with a fake transport whose uploads the test finishes by hand ----------

interface FakeUpload {
  room: number;
  name: string;
  blob: Blob;
  progress: (loaded: number, total: number) => void;
  resolve: (f: FileInfo) => void;
  reject: (e: unknown) => void;
  aborted: boolean;
}

function fakeUploader() {
  const calls: FakeUpload[] = [];
  const upload = (
    room: number,
    blob: Blob,
    name: string,
    progress: (l: number, t: number) => void,
  ): UploadHandle => {
    let resolve!: (f: FileInfo) => void;
    let reject!: (e: unknown) => void;
    const result = new Promise<FileInfo>((res, rej) => ((resolve = res), (reject = rej)));
    const call: FakeUpload = { room, name, blob, progress, resolve, reject, aborted: false };
    calls.push(call);
    return {
      result,
      abort: () => {
        call.aborted = true;
        reject(new ApiError(0, "aborted", "Cancelled"));
      },
    };
  };
  return { calls, upload };
}

const src = (name: string, size = 100) => ({ blob: new Blob([new Uint8Array(size)]), name });
const settle = () => new Promise((r) => setTimeout(r, 0));

describe("UploadQueue", () => {
  it("uploads two at a time, reports progress, and then offers the files in order", async () => {
    const t = fakeUploader();
    const q = new UploadQueue(7, t.upload);
    let changes = 0;
    q.subscribe(() => changes++);
    expect(q.add([src("a.png"), src("b.txt"), src("c.pdf", 300)])).toBe("");
    expect(t.calls.map((c) => c.name)).toEqual(["a.png", "b.txt"]);
    expect(q.items.map((i) => i.status)).toEqual(["uploading", "uploading", "queued"]);
    expect(q.blocker()).toBe("3 files are still uploading.");
    t.calls[0]!.progress(40, 100);
    expect(q.items[0]!.loaded).toBe(40);
    expect(changes).toBeGreaterThan(1);
    t.calls[1]!.resolve(fileInfo({ id: "B", name: "b.txt" }));
    await settle();
    expect(t.calls.map((c) => c.name)).toEqual(["a.png", "b.txt", "c.pdf"]);
    t.calls[2]!.resolve(fileInfo({ id: "C" }));
    t.calls[0]!.resolve(fileInfo({ id: "A" }));
    await settle();
    expect(q.busy).toBe(0);
    expect(q.blocker()).toBe("");
    expect(q.uploaded().map((f) => f.id)).toEqual(["A", "B", "C"]);
    expect(q.items.every((i) => i.loaded === i.size)).toBe(true);
    q.clearSent();
    expect(q.items).toHaveLength(0);
  });

  it("cancel aborts the request, drops the file and starts the next", async () => {
    const t = fakeUploader();
    const q = new UploadQueue(7, t.upload, { concurrency: 1 });
    q.add([src("a"), src("b")]);
    q.cancel(q.items[0]!.key);
    expect(t.calls[0]!.aborted).toBe(true);
    expect(q.items.map((i) => i.name)).toEqual(["b"]);
    expect(t.calls[1]!.name).toBe("b");
    await settle();
    // the aborted upload's rejection must not resurrect it as "failed"
    expect(q.failed).toBe(0);
    expect(q.items.map((i) => i.status)).toEqual(["uploading"]);
  });

  it("a late answer for a cancelled upload is ignored", async () => {
    const t = fakeUploader();
    const q = new UploadQueue(7, t.upload);
    q.add([src("a")]);
    const call = t.calls[0]!;
    q.cancel(q.items[0]!.key);
    call.resolve(fileInfo({ id: "late" }));
    await settle();
    expect(q.uploaded()).toEqual([]);
    expect(q.items).toHaveLength(0);
  });

  it("a failed upload blocks sending with its reason until retried or removed", async () => {
    const t = fakeUploader();
    const q = new UploadQueue(7, t.upload);
    q.add([src("big.bin", 5000), src("ok.txt")]);
    t.calls[0]!.reject(new ApiError(413, "too_large", "too large"));
    t.calls[1]!.resolve(fileInfo({ id: "OK" }));
    await settle();
    expect(q.items[0]!.status).toBe("failed");
    expect(q.items[0]!.error).toBe("Too large: 4.9 KB is more than this server accepts.");
    expect(q.blocker()).toMatch(/failed to upload/);
    q.retry(q.items[0]!.key);
    expect(q.items[0]!.status).toBe("uploading");
    expect(q.items[0]!.error).toBe("");
    t.calls[2]!.reject(new ApiError(0, "network", "down"));
    await settle();
    expect(q.items[0]!.error).toMatch(/could not be reached/);
    q.cancel(q.items[0]!.key);
    expect(q.blocker()).toBe("");
    expect(q.uploaded().map((f) => f.id)).toEqual(["OK"]);
  });

  it("takes at most 10 files a message and refuses empty ones", () => {
    const t = fakeUploader();
    const q = new UploadQueue(7, t.upload);
    expect(q.add(Array.from({ length: 8 }, (_, i) => src(`f${i}`)))).toBe("");
    const why = q.add([src("empty", 0), src("x"), src("y"), src("z")]);
    expect(q.items).toHaveLength(10);
    expect(why).toContain("“empty” is empty or a folder");
    expect(why).toContain("At most 10 files per message: 1 not attached.");
    expect(t.calls).toHaveLength(2); // still two at a time
  });

  it("sends sanitised names within the limit", () => {
    const t = fakeUploader();
    const q = new UploadQueue(7, t.upload);
    q.add([src("x\u202e/../y\u0000.png"), src("n".repeat(400) + ".txt")]);
    expect(t.calls[0]!.name).toBe("y.png");
    expect(new TextEncoder().encode(t.calls[1]!.name).length).toBeLessThanOrEqual(255);
    expect(t.calls[0]!.room).toBe(7);
  });

  it("abortAll stops everything", () => {
    const t = fakeUploader();
    const q = new UploadQueue(7, t.upload);
    q.add([src("a"), src("b"), src("c")]);
    q.abortAll();
    expect(t.calls.map((c) => c.aborted)).toEqual([true, true]);
    expect(q.items).toHaveLength(0);
  });
});
