/**
 * The dashboard shell: routes the hash (#/, #/jobs?…, #/job/<id>,
 * #/schedules, #/workers, #/enqueue) to a view, keeps the live status
 * (live.ts) flowing into the current view, asks for the token when the API
 * says 401 (kept in sessionStorage: gone with the tab), and shows action
 * results in one flash line. Bundled into the binary by build.ts.
 */

import type { StatusReport } from "../../ops/operations.ts";
import { ApiError, forgetToken, readOnly, setToken, token, Unauthorized } from "./api.ts";
import { h } from "./dom.ts";
import { Live, type LiveState } from "./live.ts";
import type { View, ViewContext, ViewFactory } from "./view.ts";
import { enqueueView } from "./views/enqueue.ts";
import { jobView } from "./views/job.ts";
import { jobsView } from "./views/jobs.ts";
import { overviewView } from "./views/overview.ts";
import { schedulesView } from "./views/schedules.ts";
import { workersView } from "./views/workers.ts";

const ROUTES: Record<string, ViewFactory> = {
  "": overviewView,
  jobs: jobsView,
  job: jobView,
  schedules: schedulesView,
  workers: workersView,
  enqueue: enqueueView,
};

const main = document.getElementById("main")!;
const flashLine = document.getElementById("flash")!;
const liveBadge = document.getElementById("live")!;
const dialog = document.getElementById("token-dialog") as HTMLDialogElement;
const tokenForm = document.getElementById("token-form") as HTMLFormElement;
const tokenInput = document.getElementById("token-input") as HTMLInputElement;
const signOut = document.getElementById("signout") as HTMLButtonElement;

let status: StatusReport | undefined;
let view: View | undefined;
let routeSeq = 0;
let flashTimer: ReturnType<typeof setTimeout> | undefined;

function flash(message: string, kind: "ok" | "error" = "ok"): void {
  flashLine.textContent = message;
  flashLine.className = `flash ${kind}`;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => {
    flashLine.textContent = "";
    flashLine.className = "";
  }, kind === "error" ? 10_000 : 5_000);
}

function askToken(): void {
  if (dialog.open) return;
  tokenInput.value = "";
  dialog.showModal();
  tokenInput.focus();
}

tokenForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const value = tokenInput.value.trim();
  if (!value) return;
  setToken(value);
  dialog.close();
  signOut.hidden = false;
  void live.refresh();
  void route();
});

signOut.addEventListener("click", () => {
  forgetToken();
  signOut.hidden = true;
  location.reload();
});
signOut.hidden = token() === null;

const ctx: ViewContext = {
  main,
  status: () => status,
  refresh: () => live.refresh(),
  flash,
  readOnly,
  navigate: (hash) => {
    if (location.hash === hash) void route();
    else location.hash = hash;
  },
  async act(what, fn) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Unauthorized) askToken();
      else flash(`${what} failed: ${err instanceof ApiError ? err.message : String(err)}`, "error");
      return undefined;
    }
  },
  async load(fn) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Unauthorized) {
        askToken();
        main.replaceChildren(h("p", { class: "muted" }, "This server needs its admin token."));
      } else {
        main.replaceChildren(h("p", { class: "flash error" }, `could not load this view: ${err instanceof Error ? err.message : String(err)}`));
      }
      return undefined;
    }
  },
};

/** Renders the view the hash names; a newer navigation wins over a slow older one. */
async function route(): Promise<void> {
  const seq = ++routeSeq;
  view?.dispose?.();
  view = undefined;
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = hash.split("?");
  const [name, ...rest] = path.split("/");
  const factory = ROUTES[name] ?? overviewView;
  document.querySelectorAll<HTMLAnchorElement>("#nav a").forEach((a) => a.classList.toggle("current", a.dataset.view === (name === "job" ? "jobs" : name || "overview")));
  const arg = rest.length ? decodeURIComponent(rest.join("/")) : undefined;
  const made = await factory(ctx, new URLSearchParams(query), arg);
  if (seq !== routeSeq) return made.dispose?.();
  view = made;
  if (status) view.update?.(status);
}

const STATE_TEXT: Record<LiveState, string> = { live: "live", polling: "polling", offline: "offline" };
const live = new Live(
  (s) => {
    status = s;
    view?.update?.(s);
  },
  (state) => {
    liveBadge.textContent = STATE_TEXT[state];
    liveBadge.className = `live ${state}`;
  },
  askToken,
);

window.addEventListener("hashchange", () => void route());
live.start();
void route();
