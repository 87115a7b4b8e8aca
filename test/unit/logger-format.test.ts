import { expect, test } from "bun:test";
import { createLogger, type LogFormat } from "../../src/core/logger.ts";
import { loadConfig } from "../../src/config/loader.ts";

function firstLine(format: LogFormat | undefined, tty: boolean): string {
  const lines: string[] = [];
  createLogger({ format, tty, write: (l) => lines.push(l) }).info("hello", { n: 1 });
  return lines[0];
}

test('"auto" (the default) is JSON lines off a terminal and key=value on one', () => {
  expect(JSON.parse(firstLine("auto", false))).toMatchObject({ level: "info", msg: "hello", n: 1 });
  expect(JSON.parse(firstLine(undefined, false))).toMatchObject({ msg: "hello" });
  expect(firstLine("auto", true)).toMatch(/INFO .*hello n=1$/);
});

test("an explicit format wins over the terminal test", () => {
  expect(firstLine("pretty", false)).toMatch(/INFO +hello n=1$/);
  expect(JSON.parse(firstLine("json", true))).toMatchObject({ msg: "hello" });
});

test('the config default is "auto"; --log-format and QWORKER_LOG_FORMAT override it', () => {
  const cwd = "/nonexistent-qworker-dir";
  expect(loadConfig({ env: {}, cwd }).config.log.format).toBe("auto");
  expect(loadConfig({ env: { QWORKER_LOG_FORMAT: "pretty" }, cwd }).config.log.format).toBe("pretty");
  expect(loadConfig({ flags: { "log-format": "json" }, env: { QWORKER_LOG_FORMAT: "pretty" }, cwd }).config.log.format).toBe("json");
});
