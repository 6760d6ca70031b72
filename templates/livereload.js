// devserve live reload: injected into HTML pages; talks only to its own origin.
(() => {
  "use strict";
  if (window.__devserveLiveReload) return;
  window.__devserveLiveReload = true;
  const OVERLAY_ID = "__devserve-overlay";
  let lostConnection = false;

  function swapStylesheets() {
    const stamp = Date.now();
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("__devserve", String(stamp));
      const fresh = link.cloneNode();
      fresh.href = url.href;
      // Drop the old sheet only once the new one applies, so the page never flashes unstyled.
      fresh.addEventListener("load", () => link.remove(), { once: true });
      fresh.addEventListener("error", () => link.remove(), { once: true });
      link.after(fresh);
    }
  }

  function showOverlay(message) {
    let box = document.getElementById(OVERLAY_ID);
    if (!box) {
      box = document.createElement("div");
      box.id = OVERLAY_ID;
      box.setAttribute("role", "alert");
      box.style.cssText =
        "position:fixed;z-index:2147483647;left:1rem;right:1rem;bottom:1rem;max-height:50vh;" +
        "overflow:auto;padding:1rem 1.25rem;border-radius:8px;background:#2b1111;color:#ffdede;" +
        "font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;box-shadow:0 8px 30px #0008;" +
        "white-space:pre-wrap;border:1px solid #ff6b6b";
      const close = document.createElement("button");
      close.textContent = "\u00d7";
      close.title = "Dismiss";
      close.style.cssText =
        "float:right;background:none;border:0;color:inherit;font-size:18px;cursor:pointer";
      close.addEventListener("click", () => box.remove());
      box.append(close, document.createElement("strong"), document.createElement("div"));
      box.children[1].textContent = "devserve: invalid config, still serving the last good one";
      document.body.append(box);
    }
    box.children[2].textContent = "\n" + message;
  }

  function hideOverlay() {
    document.getElementById(OVERLAY_ID)?.remove();
  }

  // The blocked notice: devserve saw a cross-origin request from this page blocked (by CORS),
  // or a cross-origin response set a cookie the browser will drop or not send back.
  // A shadow root keeps the page's styles out of it and its styles out of the page.
  const NOTICE_ID = "devserve-cors-notice";
  const NOTICE_MAX = 4;
  const NOTICE_CSS = `
    :host { all: initial; position: fixed; z-index: 2147483646; top: 12px; right: 12px;
      width: min(440px, calc(100vw - 24px)); max-height: 60vh; display: block; }
    .box { box-sizing: border-box; max-height: 60vh; overflow: auto; padding: 10px 12px;
      border-radius: 8px; border: 1px solid #ff6b6b; background: #2b1111; color: #ffdede;
      font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
      box-shadow: 0 8px 30px rgba(0, 0, 0, 0.45); }
    .head { display: flex; align-items: baseline; gap: 8px; margin: 0 0 6px; }
    .title { font-weight: 700; flex: 1; }
    button { all: unset; cursor: pointer; font-size: 18px; line-height: 1; padding: 0 4px;
      color: inherit; }
    button:focus-visible { outline: 2px solid #ffdede; border-radius: 3px; }
    ol { list-style: none; margin: 0; padding: 0; }
    li { padding: 6px 0; border-top: 1px solid rgba(255, 107, 107, 0.35); }
    .req { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; color: #fff;
      overflow-wrap: anywhere; }
    .method { font-weight: 700; margin-right: 6px; }
    .reason { margin-top: 2px; }
    .note { margin-top: 2px; color: #f0c36a; }
    .cookie { margin-top: 2px; color: #ffd59e; overflow-wrap: anywhere; }
    .more { margin-top: 4px; color: #d9a0a0; font-size: 12px; }
  `;
  let noticeEntries = [];
  let noticeHidden = 0;

  function noticeBox() {
    let host = document.getElementById(NOTICE_ID);
    if (host && host.shadowRoot) return host;
    host = document.createElement("devserve-notice");
    host.id = NOTICE_ID;
    host.setAttribute("role", "alert");
    const root = host.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = NOTICE_CSS;
    const box = document.createElement("div");
    box.className = "box";
    const head = document.createElement("div");
    head.className = "head";
    const title = document.createElement("span");
    title.className = "title";
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.title = "Dismiss";
    close.setAttribute("aria-label", "Dismiss");
    close.setAttribute("data-devserve-dismiss", "");
    close.addEventListener("click", dismissNotice);
    head.append(title, close);
    const list = document.createElement("ol");
    const more = document.createElement("div");
    more.className = "more";
    box.append(head, list, more);
    root.append(style, box);
    document.body.append(host);
    return host;
  }

  // An entry is blocked by CORS, or only loses cookies ("blocked": false, "cookies": [...]).
  const isBlocked = (entry) => entry.blocked !== false;

  function noticeTitle(count) {
    // A notice of devserve's own (e.g. "trust devserve's CA") brings its title.
    if (noticeEntries.length === 1 && !noticeHidden && noticeEntries[0].title) {
      return String(noticeEntries[0].title);
    }
    const cookiesOnly = noticeEntries.every((entry) => !isBlocked(entry));
    const blockedOnly = noticeEntries.every(isBlocked);
    if (cookiesOnly) {
      return count === 1
        ? "devserve: a cross-origin response set a cookie the browser will not keep or send back"
        : `devserve: ${count} cross-origin responses set cookies the browser will not keep or send back`;
    }
    if (blockedOnly) {
      return count === 1
        ? "devserve: a cross-origin request was blocked by CORS"
        : `devserve: ${count} cross-origin requests were blocked by CORS`;
    }
    return `devserve: ${count} cross-origin requests were blocked by CORS or lost cookies`;
  }

  function renderNotice() {
    const root = noticeBox().shadowRoot;
    const count = noticeEntries.length + noticeHidden;
    root.querySelector(".title").textContent = noticeTitle(count);
    const items = noticeEntries.map((entry) => {
      const item = document.createElement("li");
      const req = document.createElement("div");
      req.className = "req";
      const method = document.createElement("span");
      method.className = "method";
      method.textContent = String(entry.method || "");
      req.append(method, String(entry.url || ""));
      if (entry.origin) req.title = `origin '${entry.origin}'`;
      item.append(req);
      if (isBlocked(entry)) {
        const reason = document.createElement("div");
        reason.className = "reason";
        reason.textContent = String(entry.reason || "blocked");
        item.append(reason);
      }
      for (const text of Array.isArray(entry.cookies) ? entry.cookies.slice(0, 8) : []) {
        const cookie = document.createElement("div");
        cookie.className = "cookie";
        cookie.textContent = `cookie ${String(text)}`;
        item.append(cookie);
      }
      if (entry.note) {
        const note = document.createElement("div");
        note.className = "note";
        note.textContent = String(entry.note);
        item.append(note);
      }
      return item;
    });
    root.querySelector("ol").replaceChildren(...items);
    root.querySelector(".more").textContent = noticeHidden
      ? `and ${noticeHidden} earlier (see the devserve dashboard or terminal)`
      : "";
  }

  function showBlocked(data) {
    let entry;
    try {
      entry = JSON.parse(data);
    } catch {
      return;
    }
    if (!entry || typeof entry !== "object") return;
    noticeEntries.unshift(entry); // newest first
    if (noticeEntries.length > NOTICE_MAX) {
      noticeHidden += noticeEntries.length - NOTICE_MAX;
      noticeEntries = noticeEntries.slice(0, NOTICE_MAX);
    }
    renderNotice();
  }

  function dismissNotice() {
    noticeEntries = [];
    noticeHidden = 0;
    document.getElementById(NOTICE_ID)?.remove();
  }

  function whenBody(action) {
    if (document.body) action();
    else addEventListener("DOMContentLoaded", action, { once: true });
  }

  // Blocked requests this page made before this deferred script ran (its own scripts fetch
  // first) are kept by devserve: ask for those made since this page's navigation started.
  const loadedSince = Math.floor(Date.now() - performance.now());
  const events = new EventSource(`/__devserve/events?since=${loadedSince}`);
  events.addEventListener("open", () => {
    // Back after devserve restarted: the page may be stale, so reload once.
    if (lostConnection) location.reload();
  });
  events.addEventListener("error", () => {
    lostConnection = true;
  });
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("css", swapStylesheets);
  events.addEventListener("config", (event) => {
    let error = null;
    try {
      error = JSON.parse(event.data).error;
    } catch {}
    if (error) whenBody(() => showOverlay(error));
    else hideOverlay();
  });
  events.addEventListener("cors-blocked", (event) => whenBody(() => showBlocked(event.data)));
  // Every origin's CORS state, now and whenever it changes: for the page's own scripts.
  events.addEventListener("origins", (event) => {
    let origins = null;
    try {
      origins = JSON.parse(event.data);
    } catch {}
    if (origins) dispatchEvent(new CustomEvent("devserve:origins", { detail: origins }));
  });
})();
