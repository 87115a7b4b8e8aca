/**
 * What the shell (main.ts) gives each view, and what a view gives back.
 * A view renders into `ctx.main`, re-renders parts of itself on `update`
 * (every live status), and stops its timers in `dispose`.
 */

import type { StatusReport } from "../../ops/operations.ts";

export interface ViewContext {
  main: HTMLElement;
  /** The latest live status, if one arrived yet. */
  status(): StatusReport | undefined;
  /** Ask for a fresh status now (after an action). */
  refresh(): Promise<void>;
  flash(message: string, kind?: "ok" | "error"): void;
  /** Runs an action, flashes its error (a 401 asks for the token), and resolves undefined when it failed. */
  act<T>(what: string, fn: () => Promise<T>): Promise<T | undefined>;
  /** Loads data for the view; a failure is shown in place of the view. */
  load<T>(fn: () => Promise<T>): Promise<T | undefined>;
  navigate(hash: string): void;
  readOnly: boolean;
}

export interface View {
  update?(status: StatusReport): void;
  dispose?(): void;
}

export type ViewFactory = (ctx: ViewContext, params: URLSearchParams, arg?: string) => View | Promise<View>;
