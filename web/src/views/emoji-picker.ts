// A small emoji picker: a button that opens a grid of common emoji; picking one hands its
// character to onPick (the composer inserts it, the reaction menu reacts with it). Every
// other emoji is typed as a shortcode (":tada:"), which the renderer shows as the emoji.

import { emojiNames } from "../markdown";
import { h } from "../dom";

export const COMMON_EMOJI = (
  "+1 -1 heart joy tada smile grin wink thinking eyes fire rocket clap pray ok_hand " +
  "white_check_mark x 100 sob rofl slightly_smiling_face wave raised_hands muscle sunglasses " +
  "confused cry sweat_smile heart_eyes laughing smiley coffee"
)
  .split(" ")
  .filter((n) => n in emojiNames);

/**
 * A grid of emoji buttons (arrow keys move between them, Escape calls onClose). The first
 * button takes focus when shown. names: shortcodes (COMMON_EMOJI unless told).
 */
export function emojiGrid(
  onPick: (emoji: string, name: string) => void,
  onClose: () => void,
  names: string[] = COMMON_EMOJI,
) {
  const grid = h("div", { class: "emoji-grid", role: "menu", "aria-label": "Emoji" });
  for (const name of names.filter((n) => n in emojiNames)) {
    grid.appendChild(
      h("button", {
        type: "button",
        role: "menuitem",
        class: "emoji-choice",
        title: `:${name}:`,
        "aria-label": name.replace(/_/g, " "),
        text: emojiNames[name],
        onclick: () => onPick(emojiNames[name], name),
      }),
    );
  }
  grid.addEventListener("keydown", (ev) => {
    const buttons = [...grid.querySelectorAll("button")];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 }[ev.key];
    if (step !== undefined && i >= 0) {
      ev.preventDefault();
      buttons[Math.min(buttons.length - 1, Math.max(0, i + step))].focus();
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      ev.stopPropagation();
      onClose();
    }
  });
  return grid;
}

/** The composer's emoji button and its popup; onPick gets the character. */
export class EmojiPicker {
  readonly button = h("button", {
    type: "button",
    class: "emoji-button",
    "aria-label": "Insert emoji",
    "aria-haspopup": "menu",
    "aria-expanded": "false",
    title: "Emoji",
    text: "☺",
  });
  readonly popup: HTMLElement;

  constructor(onPick: (emoji: string) => void) {
    this.popup = h("div", { class: "emoji-popup", hidden: true });
    this.popup.appendChild(
      emojiGrid(
        (e) => {
          this.close();
          onPick(e);
        },
        () => {
          this.close();
          this.button.focus();
        },
      ),
    );
    this.button.addEventListener("click", () => (this.popup.hidden ? this.open() : this.close()));
    document.addEventListener("pointerdown", (ev) => {
      const t = ev.target as Node;
      if (!this.popup.hidden && !this.popup.contains(t) && !this.button.contains(t)) this.close();
    });
  }

  open(): void {
    this.popup.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.popup.querySelector("button")?.focus();
  }

  close(): void {
    this.popup.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
  }
}

let openPopover: HTMLElement | null = null;

/**
 * A grid of names under anchor (a message's "Add reaction"); picking calls onPick with the
 * shortcode. One at a time; Escape or a click outside closes it, focus back on anchor.
 */
export function showEmojiPopover(
  anchor: HTMLElement,
  names: string[],
  onPick: (name: string) => void,
): void {
  openPopover?.remove();
  const pop = h("div", { class: "emoji-popup react-popup" });
  const close = (refocus: boolean) => {
    pop.remove();
    if (openPopover === pop) openPopover = null;
    document.removeEventListener("pointerdown", outside, true);
    if (refocus) anchor.focus();
  };
  const outside = (ev: Event) => {
    if (!pop.contains(ev.target as Node) && ev.target !== anchor) close(false);
  };
  pop.appendChild(
    emojiGrid(
      (_e, name) => {
        close(true);
        onPick(name);
      },
      () => close(true),
      names,
    ),
  );
  anchor.after(pop);
  const floor = anchor.closest(".timeline")?.getBoundingClientRect().bottom ?? innerHeight;
  if (pop.getBoundingClientRect().bottom > floor) pop.classList.add("up");
  document.addEventListener("pointerdown", outside, true);
  openPopover = pop;
  pop.querySelector("button")?.focus();
}
