// The account menu at the top bar's end: who is signed in, and what they do with their
// account (devices, security, signing out, and what later features add). One button
// instead of one per action, so the top bar fits a 375 px phone whatever is added.

import { h } from "../dom";
import { type MenuItem, showMenu } from "./popup";

/** A button naming the account; it drops items(), built each time it opens. */
export function accountMenu(username: string, items: () => MenuItem[]): HTMLElement {
  const button = h("button", {
    type: "button",
    class: "whoami",
    text: username,
    "aria-haspopup": "menu",
    "aria-expanded": "false",
    "aria-label": `Account: ${username}`,
    title: `Signed in as ${username}`,
  });
  button.addEventListener("click", () => showMenu(button, items()));
  return h("span", { class: "account-menu" }, button);
}
