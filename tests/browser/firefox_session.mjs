// Drive real Firefox (Debian firefox-esr) step by step over WebDriver BiDi, with puppeteer-core:
// one Firefox for a whole test session, tabs opened and scripts run as the tests ask.
//
// Usage: node firefox_session.mjs PUPPETEER_CORE_DIR EXECUTABLE PROFILE_DIR
// Then one JSON command per line on stdin, one JSON answer per line on stdout:
//   {"op": "open", "tab": "a", "url": "http://127.0.0.1:P/"}   -> {"ok": true}
//   {"op": "eval", "tab": "a", "js": "expression or promise"}   -> {"ok": true, "value": ...}
//   {"op": "close", "tab": "a"}                                 -> {"ok": true}
//   {"op": "version"}                                           -> {"ok": true, "value": "firefox/..."}
// A failed command answers {"ok": false, "error": "..."}; end of stdin closes Firefox.
import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";

const [puppeteerDir, executable, profile] = process.argv.slice(2);
const require = createRequire(path.join(puppeteerDir, "package.json"));
const puppeteer = require(puppeteerDir);

const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: executable,
  headless: true,
  userDataDir: profile,
  protocolTimeout: 30000,
});
const tabs = new Map();

async function run(command) {
  if (command.op === "version") return await browser.version();
  if (command.op === "open") {
    const page = tabs.get(command.tab) || (await browser.newPage());
    tabs.set(command.tab, page);
    const response = await page.goto(command.url);
    // A page loaded before comes back revalidated: 304 is as good as 200.
    if (!response || !(response.ok() || response.status() === 304)) {
      throw new Error(`could not open ${command.url}: ${response && response.status()}`);
    }
    return null;
  }
  const page = tabs.get(command.tab);
  if (!page) throw new Error(`no tab named ${command.tab}`);
  if (command.op === "eval") return await page.evaluate(command.js);
  if (command.op === "close") {
    tabs.delete(command.tab);
    await page.close();
    return null;
  }
  throw new Error(`unknown op ${command.op}`);
}

process.stdout.write(JSON.stringify({ ok: true, value: "ready" }) + "\n");
const lines = readline.createInterface({ input: process.stdin });
try {
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer;
    try {
      answer = { ok: true, value: (await run(JSON.parse(line))) ?? null };
    } catch (error) {
      answer = { ok: false, error: String(error && error.message ? error.message : error) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
} finally {
  await browser.close();
}
