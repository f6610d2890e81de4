// Parley's browser client: the entry point. It shows the sign-in screen or, with a session,
// the chat screen (app.ts), and goes back to sign-in when the session ends.

// The styles, in cascade order (later files override earlier ones).
import "./styles/base.css";
import "./styles/auth.css";
import "./styles/chat.css";
import "./styles/attachments.css";
import "./styles/dialogs.css";
import "./styles/search.css";
import "./styles/threads.css";
import "./styles/two-factor.css";
import "./styles/admin.css";
import "./styles/phone.css";
import { ApiError, api, setUnauthorizedHandler } from "./api";
import { ChatApp, SESSION_ENDED } from "./app";
import { errText } from "./format";
import type { User } from "./types";
import { showLogin } from "./views/login";
import { resetTokenFromHash, showPasswordReset } from "./views/settings";
import { inviteFromHash, showInviteSignup } from "./views/two-factor";

const root = document.getElementById("app")!;
let current: ChatApp | null = null;

function startChat(me: User): void {
  current?.destroy();
  current = new ChatApp(me, root, endChat);
}

function endChat(notice: string): void {
  current?.destroy();
  current = null;
  showLogin(root, notice, startChat);
}

setUnauthorizedHandler(() => {
  if (current) endChat(SESSION_ENDED);
});

async function main(): Promise<void> {
  const reset = resetTokenFromHash(); // an admin's one-time link: set a password first
  if (reset) return showPasswordReset(root, reset, (notice) => showLogin(root, notice, startChat));
  const invite = inviteFromHash(); // an invite link: sign up with it
  if (invite) return showInviteSignup(root, invite, startChat);
  try {
    const { user } = await api.me();
    startChat(user);
  } catch (e) {
    showLogin(root, e instanceof ApiError && e.status !== 401 ? errText(e) : "", startChat);
  }
}

void main();
