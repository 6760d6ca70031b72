// devserve dashboard: origins with CORS switches, live request log, config errors.
// Plain browser JavaScript, no build step, no network access beyond this dashboard's own origin.
(() => {
  "use strict";

  const MAX_ROWS = 1000;
  const $ = (id) => document.getElementById(id);

  const els = {
    origins: $("origins"),
    originsEmpty: $("origins-empty"),
    switchError: $("switch-error"),
    log: $("log"),
    logEmpty: $("log-empty"),
    counts: $("counts"),
    filterOrigin: $("filter-origin"),
    filterBlocked: $("filter-blocked"),
    filterCross: $("filter-cross"),
    clear: $("clear-log"),
    configError: $("config-error"),
    configErrorText: $("config-error-text"),
    connectionText: $("connection-text"),
  };

  // Origin URL -> name, so the "from" column can say `page` instead of a URL.
  let namesByUrl = new Map();
  let totals = { requests: 0, blocked: 0 };

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key in node) node[key] = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child != null) node.append(child);
    }
    return node;
  }

  // ---- origins -------------------------------------------------------------------------------

  function modeText(cors) {
    if (!cors.enabled) {
      return cors.configured && cors.configured !== "off"
        ? `off (switched off; configured: ${cors.configured})`
        : "off";
    }
    return cors.describe || cors.mode;
  }

  function originRow(name) {
    const input = el("input", {
      type: "checkbox",
      id: `cors-${name}`,
      class: "switch-input",
      dataset: { origin: name },
    });
    input.setAttribute("role", "switch");
    input.addEventListener("change", () => toggle(name, input));
    const label = el(
      "label",
      { class: "switch", htmlFor: `cors-${name}`, title: `Switch CORS of '${name}'` },
      input,
      el("span", { class: "track", "aria-hidden": "true" }),
      el("span", { class: "switch-text" }),
    );
    return el(
      "tr",
      { class: "origin-row", dataset: { origin: name } },
      el("th", { scope: "row", class: "origin-name", textContent: name }),
      el("td", { class: "origin-url" }, el("a", { target: "_blank", rel: "noopener" })),
      el("td", { class: "origin-serves" }),
      el("td", { class: "origin-mode" }),
      el("td", { class: "origin-switch" }, label),
    );
  }

  function renderOrigins(list) {
    namesByUrl = new Map(list.map((o) => [o.url, o.name]));
    for (const o of list) {
      try {
        const url = new URL(o.url);
        namesByUrl.set(`${url.protocol}//localhost:${url.port}`, o.name);
      } catch {
        // not a URL: leave it
      }
    }
    const existing = new Map(
      [...els.origins.querySelectorAll("tr.origin-row")].map((tr) => [tr.dataset.origin, tr]),
    );
    for (const o of list) {
      const row = existing.get(o.name) || originRow(o.name);
      existing.delete(o.name);
      els.origins.append(row); // appending an existing row moves it: keeps the server's order
      const link = row.querySelector(".origin-url a");
      link.href = o.url;
      link.textContent = o.url;
      row.querySelector(".origin-serves").textContent = (o.serves || []).join(", ");
      const mode = row.querySelector(".origin-mode");
      mode.textContent = modeText(o.cors);
      mode.dataset.mode = o.cors.enabled ? o.cors.mode : "off";
      const input = row.querySelector("input");
      if (!input.dataset.busy) input.checked = Boolean(o.cors.enabled);
      row.querySelector(".switch-text").textContent = o.cors.enabled ? "on" : "off";
      row.classList.toggle("cors-off", !o.cors.enabled);
    }
    for (const row of existing.values()) row.remove();
    els.originsEmpty.hidden = list.length > 0;
    els.originsEmpty.textContent = "No origins.";
    renderOriginFilter(list.map((o) => o.name));
  }

  function renderOriginFilter(names) {
    if (window.devserveSockets) window.devserveSockets.origins(names);
    const select = els.filterOrigin;
    const chosen = select.value;
    const known = new Set([...select.options].map((opt) => opt.value));
    for (const name of names) {
      if (!known.has(name)) select.append(el("option", { value: name, textContent: name }));
    }
    // Keep an option for a vanished origin only while it is chosen (its old rows stay).
    for (const opt of [...select.options]) {
      if (opt.value && !names.includes(opt.value) && opt.value !== chosen) opt.remove();
    }
  }

  async function toggle(name, input) {
    const wanted = input.checked;
    input.dataset.busy = "1";
    input.disabled = true;
    els.switchError.hidden = true;
    try {
      const response = await fetch(`/api/origins/${encodeURIComponent(name)}/cors`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ enabled: wanted }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
      delete input.dataset.busy;
      renderOrigins(mergeOrigin(body));
    } catch (error) {
      input.checked = !wanted;
      els.switchError.textContent = `Could not switch CORS of '${name}': ${error.message}`;
      els.switchError.hidden = false;
    } finally {
      delete input.dataset.busy;
      input.disabled = false;
    }
  }

  let lastOrigins = [];
  function mergeOrigin(state) {
    lastOrigins = lastOrigins.map((o) => (o.name === state.name ? state : o));
    return lastOrigins;
  }

  function setOrigins(list) {
    lastOrigins = list;
    renderOrigins(list);
  }

  // ---- request log ---------------------------------------------------------------------------

  function clock(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso || "";
    const pad = (n, width = 2) => String(n).padStart(width, "0");
    return (
      `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
      `.${pad(date.getMilliseconds(), 3)}`
    );
  }

  function fromText(source) {
    if (!source) return "";
    return namesByUrl.get(source) || source;
  }

  function verdictCell(record) {
    const cors = record.cors || {};
    const cell = el("td", { class: "verdict" });
    if (!cors.verdict) {
      cell.append(
        el("span", {
          class: "muted",
          textContent: record.from ? "same origin" : "no Origin",
        }),
      );
      return cell;
    }
    cell.append(el("span", { class: `badge ${cors.verdict}`, textContent: cors.verdict }));
    if (cors.reason) cell.append(el("span", { class: "reason", textContent: cors.reason }));
    if (cors.note) cell.append(el("span", { class: "note", textContent: cors.note }));
    const lost = new Set(Array.isArray(cors.cookies_lost) ? cors.cookies_lost : []);
    for (const text of Array.isArray(cors.cookies) ? cors.cookies : []) {
      const kind = lost.has(text) ? "cookie lost" : "cookie";
      cell.append(el("span", { class: kind, textContent: `cookie ${text}` }));
    }
    return cell;
  }

  // A proxied request: what the upstream said (or that a recording answered), and a way to
  // keep that answer as a mock file.
  function proxyText(proxy) {
    if (proxy.state === "replayed" || proxy.state === "missed") return `${proxy.state} (recording)`;
    let text = `upstream ${proxy.status ?? "-"}`;
    if (proxy.ms != null) text += ` in ${proxy.ms} ms`;
    if (proxy.state !== "live") text += `, ${proxy.state}`;
    return text;
  }

  function pathCell(record) {
    const cell = el("td", { class: "path", textContent: record.path });
    // Why a mock answered 500 or broke the connection (a template error, a fault).
    if (record.note) cell.append(el("span", { class: "mock-note", textContent: record.note }));
    const proxy = record.proxy;
    if (!proxy) return cell;
    cell.append(
      el("span", {
        class: `proxied proxy-${proxy.state}`,
        textContent: proxyText(proxy),
        title: `proxied to ${proxy.upstream}`,
      }),
    );
    for (const note of proxy.notes || []) cell.append(el("span", { class: "note", textContent: note }));
    if (proxy.capture != null) {
      const button = el("button", { type: "button", class: "save-mock", textContent: "save as mock" });
      button.addEventListener("click", () => saveMock(record.origin, proxy.capture, button));
      cell.append(button);
    }
    return cell;
  }

  async function saveMock(origin, capture, button) {
    button.disabled = true;
    try {
      const response = await fetch(
        `/api/origins/${encodeURIComponent(origin)}/proxied/${capture}/save`,
        { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" },
      );
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
      button.textContent = `saved: ${body.file}`;
    } catch (error) {
      button.textContent = `not saved: ${error.message}`;
      button.disabled = false;
    }
  }

  function statusClass(status) {
    if (!status) return "s0";
    return `s${String(status)[0]}xx`;
  }

  function addRequest(record) {
    const verdict = (record.cors && record.cors.verdict) || "";
    const row = el(
      "tr",
      {
        class: `log-row${verdict ? ` verdict-${verdict}` : ""}`,
        dataset: {
          origin: record.origin,
          verdict,
          status: String(record.status ?? ""),
          cross: record.from ? "true" : "false",
        },
        title: verdict === "blocked" ? `blocked: ${(record.cors || {}).reason || ""}` : "",
      },
      el("td", { class: "time", textContent: clock(record.time), title: record.time || "" }),
      el("td", { class: "origin", textContent: record.origin }),
      el("td", { class: "method", textContent: record.method }),
      pathCell(record),
      el("td", {
        class: `status ${statusClass(record.status)}`,
        textContent: record.status ? String(record.status) : "—",
      }),
      el("td", { class: "ms", textContent: record.ms != null ? String(record.ms) : "" }),
      el("td", { class: "from", textContent: fromText(record.from), title: record.from || "" }),
      verdictCell(record),
    );
    totals.requests += 1;
    if (verdict === "blocked") totals.blocked += 1;
    insertRow(row);
  }

  function addNote(origin, text, kind) {
    const row = el(
      "tr",
      { class: `log-event ${kind}`, dataset: { origin: origin || "" } },
      el("td", { class: "time", textContent: clock(new Date().toISOString()) }),
      el("td", { class: "origin", textContent: origin || "" }),
      el("td", { colSpan: 6, class: "event-text", textContent: text }),
    );
    insertRow(row);
  }

  function insertRow(row) {
    applyFilter(row);
    els.log.prepend(row); // newest first
    while (els.log.rows.length > MAX_ROWS) els.log.lastElementChild.remove();
    updateCounts();
  }

  function applyFilter(row) {
    const origin = els.filterOrigin.value;
    const blockedOnly = els.filterBlocked.checked;
    const crossOnly = els.filterCross.checked;
    let show = !origin || row.dataset.origin === origin;
    if (row.classList.contains("log-row")) {
      if (blockedOnly && row.dataset.verdict !== "blocked") show = false;
      if (crossOnly && row.dataset.cross !== "true") show = false;
    } else if (blockedOnly || crossOnly) {
      show = false;
    }
    row.hidden = !show;
  }

  function refilter() {
    for (const row of els.log.rows) applyFilter(row);
    updateCounts();
  }

  function updateCounts() {
    const shown = [...els.log.querySelectorAll("tr.log-row:not([hidden])")].length;
    const { requests, blocked } = totals;
    els.counts.textContent =
      `${requests} request${requests === 1 ? "" : "s"}, ` +
      `${blocked} blocked` +
      (shown !== els.log.querySelectorAll("tr.log-row").length ? ` · ${shown} shown` : "");
    els.counts.classList.toggle("has-blocked", blocked > 0);
    els.logEmpty.hidden = els.log.rows.length > 0;
  }

  els.filterOrigin.addEventListener("change", refilter);
  els.filterBlocked.addEventListener("change", refilter);
  els.filterCross.addEventListener("change", refilter);
  els.clear.addEventListener("click", () => {
    els.log.replaceChildren();
    totals = { requests: 0, blocked: 0 };
    updateCounts();
  });

  // ---- config error --------------------------------------------------------------------------

  let configError = null;
  function setConfigError(error) {
    const changed = (error || null) !== configError;
    configError = error || null;
    els.configError.hidden = !configError;
    els.configErrorText.textContent = configError || "";
    return changed;
  }

  // ---- event stream --------------------------------------------------------------------------

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch {
      return null;
    }
  }

  function setConnected(connected, text) {
    document.body.dataset.connected = connected ? "true" : "false";
    els.connectionText.textContent = text;
  }

  const stream = new EventSource("/api/events");
  let everConnected = false;
  stream.addEventListener("open", () => {
    everConnected = true;
    setConnected(true, "live");
  });
  stream.addEventListener("error", () => {
    if (stream.readyState === EventSource.CLOSED) {
      setConnected(false, "disconnected (reload the page once devserve runs again)");
    } else {
      setConnected(false, everConnected ? "devserve stopped? reconnecting…" : "connecting…");
    }
  });
  stream.addEventListener("origins", (event) => {
    const list = parse(event);
    if (Array.isArray(list)) setOrigins(list);
  });
  stream.addEventListener("request", (event) => {
    const record = parse(event);
    if (record) addRequest(record);
  });
  stream.addEventListener("socket", (event) => {
    // Mock sockets: opened, a frame in or out, a close (dashboard-sockets.js shows them).
    const record = parse(event);
    if (record && window.devserveSockets) window.devserveSockets.add(record);
  });
  stream.addEventListener("reload", (event) => {
    const data = parse(event) || {};
    const what = data.kind === "css" ? "stylesheets swapped" : "pages reloaded";
    addNote(data.origin, `${what} (file change)`, "reload");
  });
  stream.addEventListener("config", (event) => {
    const data = parse(event) || {};
    const wasError = configError;
    if (setConfigError(data.error) && everConnected) {
      if (data.error) addNote("", "config error: still serving the last good config", "bad");
      else if (wasError) addNote("", "config fixed and applied", "good");
    }
  });

  // The stream sends the origins first thing; this only covers a stream that cannot open.
  fetch("/api/origins")
    .then((response) => (response.ok ? response.json() : null))
    .then((list) => {
      if (Array.isArray(list) && lastOrigins.length === 0) setOrigins(list);
    })
    .catch(() => {});

  updateCounts();
})();
