/**
 * A headless Debian Chromium for the dashboard's browser tests, driven by
 * playwright-core (no bundled browser download): /usr/bin/chromium with the
 * flags a CI container needs, a fresh profile directory per launch, and
 * screenshots under test/artifacts/ (git-ignored). Suites call
 * `describeNeeding("chromium")` so CI fails instead of skipping when the
 * browser is missing.
 */

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { ROOT } from "./qworker-binary.ts";
import { toolPath } from "./requirements.ts";

export const ARTIFACTS = join(ROOT, "test", "artifacts");

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page PNG as test/artifacts/<name>.png and returns its path. */
  screenshot(name: string, page?: Page): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "qw-chromium-"));
  // launchPersistentContext takes the profile as --user-data-dir: a fresh one each time, deleted at close.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: toolPath("chromium") ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    page,
    async screenshot(name, p = page) {
      const path = join(ARTIFACTS, `${name}.png`);
      await p.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
