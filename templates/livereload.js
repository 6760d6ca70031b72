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

  const events = new EventSource("/__devserve/events");
  events.addEventListener("open", () => {
    // Back after devserve restarted: the page may be stale, so reload once.
    if (lostConnection) location.reload();
  });
  events.addEventListener("error", () => {
    lostConnection = true;
  });
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("css", swapStylesheets);
  events.addEventListener("config-error", (event) => {
    if (document.body) showOverlay(event.data);
    else addEventListener("DOMContentLoaded", () => showOverlay(event.data), { once: true });
  });
  events.addEventListener("config-ok", hideOverlay);
})();
