// Telling the user about messages when they are not looking: desktop notifications (the
// browser's Notification API), a short sound, and the unread count in the tab's title and
// favicon. No permission is asked on load: only when the user presses the bell (a gesture).
// Whether a message is worth it is decided by notify-rules.ts.

const PREF = "parley.notify";

/** The bell's choice; storage refused (some private modes throw) reads as no choice. */
let memory: string | null = null;
function pref(): string | null {
  try {
    return localStorage.getItem(PREF);
  } catch {
    return memory;
  }
}
function setPref(v: string): void {
  memory = v;
  try {
    localStorage.setItem(PREF, v);
  } catch {
    /* kept in memory for this page */
  }
}

export type NotifyPermission = "default" | "granted" | "denied" | "unsupported";

export class Notifier {
  private audio: AudioContext | null = null;
  private lastBadge = "";

  permission(): NotifyPermission {
    return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
  }

  /** on: the user wants desktop notifications (and the browser allows them). */
  get enabled(): boolean {
    return this.permission() === "granted" && pref() !== "off";
  }

  /**
   * The bell was pressed: ask the browser the first time, then switch on and off. Resolves
   * to whether notifications are now on.
   */
  async toggle(): Promise<boolean> {
    this.unlockSound();
    const p = this.permission();
    if (p === "unsupported" || p === "denied") return false;
    if (p === "default") {
      const answer = await Notification.requestPermission();
      setPref(answer === "granted" ? "on" : "off");
      return answer === "granted";
    }
    setPref(this.enabled ? "off" : "on");
    return this.enabled;
  }

  /** A desktop notification and the sound (when switched on). */
  notify(title: string, body: string, tag: string, onClick: () => void): void {
    if (!this.enabled) return;
    try {
      const n = new Notification(title, { body, tag });
      n.onclick = () => {
        window.focus();
        onClick();
        n.close();
      };
    } catch {
      /* some browsers allow notifications only from a service worker: skip */
    }
    this.chime();
  }

  /**
   * Browsers start audio only after a gesture: the bell, or the first key or click on the
   * page, makes the context the chime plays on later.
   */
  unlockSound(): void {
    if (this.audio || typeof AudioContext === "undefined") return;
    try {
      this.audio = new AudioContext();
    } catch {
      this.audio = null;
    }
  }

  /** Two short soft tones (made here, so there is no file to fetch). */
  private chime(): void {
    const ctx = this.audio;
    if (!ctx) return;
    void ctx.resume().catch(() => {});
    const t0 = ctx.currentTime;
    for (const [i, f] of [880, 1320].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = f;
      const t = t0 + i * 0.12;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.12, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.2);
    }
  }

  /**
   * The tab's title "(3) Parley" and a favicon with the count on a red dot (mentions make
   * the dot show "@"); nothing to count: the plain icon.
   */
  badge(unread: number, mentions: number): void {
    const label = unread > 99 ? "99+" : unread > 0 ? String(unread) : "";
    document.title = unread > 0 ? `(${label}) Parley` : "Parley";
    const key = `${label}:${mentions > 0}`;
    if (key === this.lastBadge) return;
    this.lastBadge = key;
    let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (!link) {
      link = document.createElement("link");
      link.rel = "icon";
      document.head.appendChild(link);
    }
    link.href = faviconUrl(label, mentions > 0);
    link.dataset.badge = label;
  }
}

/** A 32×32 icon: a blue rounded square with "P", and the count on a red dot when there is one. */
function faviconUrl(label: string, mention: boolean): string {
  const c = document.createElement("canvas");
  c.width = c.height = 32;
  const g = c.getContext("2d");
  if (!g) return "data:,";
  g.fillStyle = "#2457c5";
  g.beginPath();
  g.roundRect(0, 0, 32, 32, 7);
  g.fill();
  g.fillStyle = "#fff";
  g.font = "bold 22px system-ui, sans-serif";
  g.textAlign = "center";
  g.textBaseline = "middle";
  g.fillText("P", label ? 12 : 16, 17);
  if (label) {
    g.fillStyle = "#d93025";
    g.beginPath();
    g.arc(22, 10, 10, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = "#fff";
    g.font = `bold ${label.length > 2 ? 9 : 13}px system-ui, sans-serif`;
    g.fillText(mention ? "@" : label, 22, 11);
  }
  return c.toDataURL("image/png");
}

/** The bell's icon, drawn (no emoji font needed): a bell, struck through when off. */
export function bellIcon(on: boolean): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "18");
  svg.setAttribute("height", "18");
  svg.setAttribute("aria-hidden", "true");
  const paths = [
    "M6 17h12l-1.6-2.2V10a4.4 4.4 0 0 0-8.8 0v4.8z",
    "M10 19.5a2 2 0 0 0 4 0",
    ...(on ? [] : ["M4 4l16 16"]),
  ];
  for (const d of paths) {
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", d);
    p.setAttribute("fill", "none");
    p.setAttribute("stroke", "currentColor");
    p.setAttribute("stroke-width", "1.8");
    p.setAttribute("stroke-linecap", "round");
    p.setAttribute("stroke-linejoin", "round");
    svg.appendChild(p);
  }
  return svg;
}
