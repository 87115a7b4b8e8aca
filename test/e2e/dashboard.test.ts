/**
 * The dashboard in a real browser: Debian's Chromium driven by
 * playwright-core against the built binary on a free port, with a token.
 * Jobs are enqueued from the CLI (straight into the SQLite file, as a user
 * would from another terminal), and the page must notice on its own. Every
 * test saves a screenshot under test/artifacts/.
 */

import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync } from "node:fs";
import { join } from "node:path";
import type { Page, Request } from "playwright-core";
import { launchBrowser, type Browser } from "../helpers/browser.ts";
import { makeProject, qw, ROOT, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";

const TOKEN = "dashboard-token-0123456789";
const XSS = "<img src=x onerror=alert(1)>";

describeNeeding("chromium")("e2e: the dashboard in Chromium", () => {
  let project: Project;
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const jobPosts: string[] = [];

  const cli = (args: string[]) => qw(args, { cwd: project.dir, env: { QWORKER_ADMIN_TOKEN: TOKEN } });
  const enqueue = async (name: string, data?: unknown, extra: string[] = []) => {
    const r = await cli(["enqueue", name, ...(data === undefined ? [] : ["--data", JSON.stringify(data)]), ...extra]);
    if (r.code !== 0 && !extra.includes("--wait")) throw new Error(`enqueue ${name} failed: ${r.stderr}`);
    return r.stdout.trim().split(/\s/)[0];
  };
  const api = async (path: string) => (await fetchWithin(url + path, { headers: { authorization: `Bearer ${TOKEN}` } })).json();

  beforeAll(async () => {
    project = makeProject("qw-dashboard-");
    cpSync(join(ROOT, "test/fixtures/dashboard-jobs"), project.jobs, { recursive: true });
    server = startServer(["--admin-port", "0", "--concurrency", "4"], { cwd: project.dir, env: { QWORKER_ADMIN_TOKEN: TOKEN, QW_TEST_OUT: project.out } });
    url = await server.adminUrl();
    browser = await launchBrowser();
    page = browser.page;
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("request", (r: Request) => {
      if (r.method() === "POST" && new URL(r.url()).pathname === "/api/jobs") jobPosts.push(r.postData() ?? "");
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill("SIGKILL");
    if (server) await within(server.exited, 10_000, "the killed server to exit");
    project?.cleanup();
  });

  test("opens with the token: asked once, kept in sessionStorage, sent as a header; the queues show", async () => {
    await page.goto(url + "/");
    await page.waitForSelector("#token-dialog[open]", { timeout: 15_000 });
    await page.fill("#token-input", TOKEN);
    await page.click("#token-form button[type=submit]");
    await page.waitForSelector('#queues tr[data-queue="default"]', { timeout: 15_000 });
    expect(await page.$$eval("#queues tr[data-queue]", (rows) => rows.map((r) => r.getAttribute("data-queue")))).toEqual(["critical", "default", "low"]);
    expect(await page.evaluate(() => sessionStorage.getItem("qworker.token"))).toBe(TOKEN);
    expect(await page.evaluate(() => document.cookie)).toBe("");
    // A reload keeps the token for this tab: no second question.
    await page.reload();
    await page.waitForSelector('#queues tr[data-queue="default"]', { timeout: 15_000 });
    expect(await page.$("#token-dialog[open]")).toBeNull();
    await page.waitForSelector("#live.live", { timeout: 15_000 });
    await browser.screenshot("dashboard-overview");
  });

  test("a job enqueued from the CLI appears in the jobs list without a reload", async () => {
    await page.goto(url + "/#/jobs");
    await page.waitForSelector("#jobs tbody tr", { timeout: 15_000 });
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const id = await enqueue("noop", undefined, ["--in", "3600"]);
    await page.waitForSelector(`#jobs tr[data-id="${id}"]`, { timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(await page.textContent(`#jobs tr[data-id="${id}"] .col-state`)).toContain("delayed");
    await browser.screenshot("dashboard-jobs-live");
  });

  test("its detail shows the progress bar moving and the job's log lines as they are written", async () => {
    const id = await enqueue("chatty", { steps: 8, stepMs: 400 });
    await page.goto(`${url}/#/job/${id}`);
    await page.waitForSelector("#job .job-name", { timeout: 15_000 });
    // Mid-run: some progress and some log lines, before the job is done.
    await page.waitForFunction(() => Number((document.getElementById("job-progress") as HTMLProgressElement | null)?.value ?? 0) > 0, null, { timeout: 20_000 });
    await page.waitForSelector("#job-logs .log-msg", { timeout: 20_000 });
    const midway = await page.$$eval("#job-logs .log-msg", (cells) => cells.length);
    expect(midway).toBeLessThan(8);
    await browser.screenshot("dashboard-job-running");
    await page.waitForSelector("#job .badge.state-completed", { timeout: 30_000 });
    expect(Number(await page.$eval("#job-progress", (p) => (p as HTMLProgressElement).value))).toBe(100);
    const lines = await page.$$eval("#job-logs .log-msg", (cells) => cells.map((c) => c.textContent ?? ""));
    expect(lines.length).toBe(8);
    expect(lines[0]).toContain("step 1 of 8");
    expect(await page.textContent("#job .result")).toContain('"steps": 8');
    expect(await page.textContent("#job .facts")).toMatch(/waited .+ran /s);
    await browser.screenshot("dashboard-job-done");
  });

  test("retry a failed job from its page: it runs again", async () => {
    const r = await cli(["enqueue", "always-fails", "--wait", "--json"]);
    const failed = JSON.parse(r.stdout);
    expect(failed.state).toBe("failed");
    await page.goto(`${url}/#/job/${failed.id}`);
    await page.waitForSelector("#job .badge.state-failed", { timeout: 15_000 });
    expect(await page.$$eval("#job .attempts .error-message", (els) => els.map((e) => e.textContent))).toEqual(["broken on try 1", "broken on try 2"]);
    await page.click("#job button.retry");
    // Two more tries, each with its error: the retry reached the workers.
    await waitFor(async () => (await api(`/api/jobs/${failed.id}`)).errors.length === 4, { timeoutMs: 20_000, what: "the retried job to fail twice more" });
    await page.waitForFunction(() => document.querySelectorAll("#job .attempts .error-message").length >= 2 && document.querySelector("#job .badge.state-failed") !== null, null, { timeout: 20_000 });
    await browser.screenshot("dashboard-job-retried");
  });

  test("pause a queue from the overview, and resume it", async () => {
    await page.goto(url + "/#/");
    await page.click('#queues tr[data-queue="low"] button.pause');
    await page.waitForSelector('#queues tr[data-queue="low"] .badge.paused', { timeout: 15_000 });
    const low = (await api("/api/queues")).queues.find((q: { queue: string }) => q.queue === "low");
    expect(low.paused).toBe(true);
    await browser.screenshot("dashboard-queue-paused");
    await page.click('#queues tr[data-queue="low"] button.resume');
    await page.waitForSelector('#queues tr[data-queue="low"] button.pause', { timeout: 15_000 });
    expect((await api("/api/queues")).queues.find((q: { queue: string }) => q.queue === "low").paused).toBe(false);
  });

  test("the enqueue form refuses a payload that fails the job's schema and sends nothing; a valid one is enqueued", async () => {
    await page.goto(url + "/#/enqueue");
    await page.waitForSelector("#enqueue-job", { timeout: 15_000 });
    await page.selectOption("#enqueue-job", "email");
    await page.fill('#enqueue-form input[name="to"]', "not-an-email");
    await page.fill('#enqueue-form input[name="subject"]', "hello");
    const posts = jobPosts.length;
    await page.click("#enqueue-form button[type=submit]");
    await page.waitForSelector('.field-error[data-field="to"]:not(:empty)', { timeout: 5_000 });
    expect(await page.textContent('.field-error[data-field="to"]')).toBe("must be a valid email");
    expect(await page.textContent("#enqueue-status")).toContain("not sent");
    expect(jobPosts.length).toBe(posts);
    expect((await api("/api/jobs?name=email")).jobs).toEqual([]);
    await browser.screenshot("dashboard-enqueue-refused");

    await page.fill('#enqueue-form input[name="to"]', "a@b.co");
    await page.click("#enqueue-form button[type=submit]");
    await page.waitForURL(/#\/job\/\d+$/, { timeout: 15_000 });
    expect(jobPosts.length).toBe(posts + 1);
    expect(JSON.parse(jobPosts.at(-1)!)).toEqual({ name: "email", data: { to: "a@b.co", subject: "hello" } });
    await page.waitForSelector("#job .badge.state-completed", { timeout: 20_000 });
    expect(await page.textContent("#job .result")).toContain("a@b.co");
  });

  test(`the XSS payload ${XSS} shows as text everywhere and runs no script`, async () => {
    const id = await enqueue("hostile", { text: XSS, holdMs: 50 });
    await waitFor(async () => (await api(`/api/jobs/${id}`)).state === "failed", { timeoutMs: 20_000, what: "the hostile job to fail" });
    await page.goto(`${url}/#/job/${id}`);
    await page.waitForSelector("#job .badge.state-failed", { timeout: 15_000 });
    expect(await page.textContent("#job .payload")).toContain(XSS);
    expect(await page.textContent("#job .attempts .error-message")).toBe(`failed for ${XSS}`);
    expect(await page.textContent("#job-logs .log-msg")).toContain(XSS);
    expect(await page.textContent("#job .progress-msg")).toBe(XSS);
    await page.goto(`${url}/#/jobs`);
    await page.waitForSelector(`#jobs tr[data-id="${id}"]`, { timeout: 15_000 });
    expect(await page.textContent(`#jobs tr[data-id="${id}"] .col-error`)).toBe(`failed for ${XSS}`);
    expect(await page.evaluate(() => document.querySelectorAll("img").length)).toBe(0);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    await browser.screenshot("dashboard-xss-as-text");
  });

  test("with the event stream blocked it falls back to polling, and still shows a new job", async () => {
    const polling = await browser.context.newPage();
    // sessionStorage is per tab: a new tab is given the token the way the first one kept it.
    await polling.addInitScript((t) => sessionStorage.setItem("qworker.token", t), TOKEN);
    await polling.route("**/api/events", (r) => r.abort());
    await polling.goto(url + "/#/jobs");
    await polling.waitForSelector("#live.polling", { timeout: 15_000 });
    await polling.waitForSelector("#jobs tbody tr", { timeout: 15_000 });
    const id = await enqueue("noop", undefined, ["--in", "3600"]);
    await polling.waitForSelector(`#jobs tr[data-id="${id}"]`, { timeout: 20_000 });
    await polling.close();
  });

  test("the layout works on a narrow screen: nothing wider than the viewport but the tables' own scroll boxes", async () => {
    const narrow = await browser.context.newPage();
    await narrow.addInitScript((t) => sessionStorage.setItem("qworker.token", t), TOKEN);
    await narrow.setViewportSize({ width: 375, height: 740 });
    for (const [view, ready] of [["#/", "#queues tr[data-queue]"], ["#/jobs", "#jobs tbody tr"], ["#/workers", "#workers section"]] as const) {
      await narrow.goto(`${url}/${view}`);
      await narrow.waitForSelector(ready, { timeout: 15_000 });
      expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(376);
    }
    await browser.screenshot("dashboard-narrow-workers", narrow);
    await narrow.goto(`${url}/#/`);
    await narrow.waitForSelector("#queues tr[data-queue]", { timeout: 15_000 });
    await browser.screenshot("dashboard-narrow-overview", narrow);
    await narrow.close();
  });
});
