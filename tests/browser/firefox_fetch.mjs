// Run fetch() calls in real Firefox (Debian firefox-esr) over WebDriver BiDi, with puppeteer-core.
//
// Usage: node firefox_fetch.mjs PUPPETEER_CORE_DIR < job.json > result.json
//
// job.json: {
//   "executable": "/usr/bin/firefox-esr", "profile": "/tmp/...",  // a fresh, empty folder
//   "prefs": {name: value},               // on top of puppeteer's test profile
//   "fetchFunction": "async ({url, init, readHeaders, timeoutMs}) => ...",  // pagefetch.FETCH_JS
//   "timeoutMs": 8000,
//   "fetches": [{"page": "http://127.0.0.1:P/", "frame": "page" | "null",
//                "url": "...", "init": {...}, "readHeaders": [...]}],
//   "cookies": true                        // list the cookie jar after the fetches
// }
// Firefox starts once for the whole job (it takes a second or two); the fetches run one after
// the other, in order, each in a tab on its "page" (one tab per page URL; "null" is a sandboxed
// iframe on it). Prints {"version", "results": [one per fetch], "cookies": [...]}.
import { createRequire } from "node:module";
import path from "node:path";

const [puppeteerDir] = process.argv.slice(2);
const require = createRequire(path.join(puppeteerDir, "package.json"));
const puppeteer = require(puppeteerDir);

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function frameFor(browser, tabs, pageUrl, which) {
  let tab = tabs.get(pageUrl);
  if (!tab) {
    const page = await browser.newPage();
    const response = await page.goto(pageUrl);
    if (!response || !response.ok()) throw new Error(`could not open ${pageUrl}`);
    tab = { page, sandboxed: null };
    tabs.set(pageUrl, tab);
  }
  if (which !== "null") return tab.page.mainFrame();
  if (!tab.sandboxed) {
    await tab.page.setContent(
      '<iframe sandbox="allow-scripts" srcdoc="<p>sandboxed</p>"></iframe>',
    );
    const handle = await tab.page.waitForSelector("iframe");
    const frame = await handle.contentFrame();
    await frame.waitForFunction(() => document.readyState === "complete");
    const origin = await frame.evaluate(() => self.origin);
    if (origin !== "null") throw new Error(`the sandboxed frame's origin is ${origin}`);
    tab.sandboxed = frame;
  }
  return tab.sandboxed;
}

async function allCookies(browser) {
  // WebDriver BiDi storage.getCookies without a partition lists every partition's cookies in
  // Firefox (checked: a partitioned third-party cookie shows up here).
  const { result } = await browser.connection.send("storage.getCookies", {});
  return result.cookies.map((c) => ({ name: c.name, domain: c.domain, path: c.path }));
}

const job = await readStdin();
const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: job.executable,
  headless: true,
  userDataDir: job.profile,
  extraPrefsFirefox: job.prefs || {},
  protocolTimeout: 30000,
});
try {
  const tabs = new Map();
  const results = [];
  for (const fetch of job.fetches) {
    const frame = await frameFor(browser, tabs, fetch.page, fetch.frame || "page");
    const args = {
      url: fetch.url,
      init: fetch.init,
      readHeaders: fetch.readHeaders || [],
      timeoutMs: job.timeoutMs,
    };
    results.push(await frame.evaluate(`(${job.fetchFunction})(${JSON.stringify(args)})`));
  }
  const cookies = job.cookies ? await allCookies(browser) : [];
  process.stdout.write(JSON.stringify({ version: await browser.version(), results, cookies }));
} finally {
  await browser.close();
}
