// devserve demo page: asks three API origins the same three questions and shows
// what the browser let this page read.
//
// Contract for automated tests:
//   - every result cell is  <td class="result" data-case="<origin>:<get|post|credentials>">
//     and gets data-result="allowed" or "blocked" once its request has finished
//     (data-expected holds what this origin's configured CORS mode should give);
//   - document.body.dataset.done === "true" once every case has finished
//     (it is removed while "Run again" is running).
'use strict';

const isHttp = location.protocol === 'http:' || location.protocol === 'https:';
const protocol = isHttp ? location.protocol : 'http:';
const hostname = location.hostname || 'localhost';
// The page is on the demo's base port and the three APIs on the next three
// (`devserve demo --port BASE` moves them all; the default base is 8000).
const DEFAULT_PORT = location.protocol === 'https:' ? 443 : 80;
const PAGE_PORT = isHttp ? Number(location.port) || DEFAULT_PORT : 8000;
// `devserve demo --sites`: this page on app.localhost, each API on NAME.localhost, so every
// API is another *site* too (cookies, SameSite); otherwise every origin shares this host name.
const SITES = hostname === 'app.localhost';
const LISTED_ORIGINS = SITES
  ? [`${protocol}//app.localhost:${PAGE_PORT}`]
  : [`${protocol}//localhost:${PAGE_PORT}`, `${protocol}//127.0.0.1:${PAGE_PORT}`];
const TIMEOUT_MS = 10000;

// The three API origins of templates/demo/devserve.toml.
const APIS = [
  {
    name: 'api-on',
    port: PAGE_PORT + 1,
    mode: 'cors = "on": permissive development mode',
    expect() {
      return {
        allowed: true,
        why: {
          get: 'CORS is on: Access-Control-Allow-Origin echoes this page\'s origin.',
          post: 'CORS is on: the preflight allowed POST and Content-Type, so the browser sent the POST and let the page read its response.',
          credentials: 'CORS is on: the exact origin plus Access-Control-Allow-Credentials: true, which credentialed requests need.',
        },
      };
    },
  },
  {
    name: 'api-off',
    port: PAGE_PORT + 2,
    mode: 'cors = "off": no CORS headers at all',
    expect() {
      return {
        allowed: false,
        why: {
          get: 'CORS is off on this origin: no Access-Control-Allow-Origin header.',
          post: 'CORS is off on this origin: the preflight (OPTIONS) got no Access-Control-Allow-Origin header, so the browser never sent the POST.',
          credentials: 'CORS is off on this origin: no Access-Control-Allow-Origin (nor Access-Control-Allow-Credentials) header.',
        },
      };
    },
  },
  {
    name: 'api-list',
    port: PAGE_PORT + 3,
    mode: 'cors = { allow_origins = [...] }: an exact policy',
    expect(pageOrigin) {
      if (!LISTED_ORIGINS.includes(pageOrigin)) {
        const why = `This page's origin ${pageOrigin} is not in allow_origins ` +
          `(only ${LISTED_ORIGINS.join(' and ')}): no Access-Control-Allow-Origin header.`;
        return { allowed: false, why: { get: why, post: why, credentials: why } };
      }
      return {
        allowed: true,
        why: {
          get: 'This page\'s origin is in allow_origins, so Access-Control-Allow-Origin is that exact origin.',
          post: 'POST is in allow_methods and Content-Type is in allow_headers, so the preflight succeeded.',
          credentials: 'allow_credentials = true: the exact origin (never *) plus Access-Control-Allow-Credentials: true.',
        },
      };
    },
  },
];

// The three questions asked of every API origin.
const CASES = [
  {
    id: 'get',
    label: '(a) GET /hello',
    note: 'a simple request: no preflight',
    path: '/hello',
    init: () => ({ method: 'GET' }),
  },
  {
    id: 'post',
    label: '(b) POST /echo (JSON)',
    note: 'Content-Type: application/json needs a preflight',
    path: '/echo',
    init: () => ({
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'hi from the demo page' }),
    }),
  },
  {
    id: 'credentials',
    label: '(c) GET /hello',
    note: "with credentials: 'include' (sends cookies)",
    path: '/hello',
    init: () => ({ method: 'GET', credentials: 'include' }),
  },
];

// Headers the page tries to read from allowed responses. Neither is CORS-safelisted,
// so each is readable only when the server exposes it (Access-Control-Expose-Headers).
const SHOWN_HEADERS = ['X-Devserve-Cors', 'X-Demo'];

const pageOrigin = isHttp ? location.origin : `${protocol}//${hostname}:${PAGE_PORT}`;

// Each API's CORS state now, as devserve tells this page (its live-reload script relays it as
// the "devserve:origins" event): a switch flipped at runtime, on the dashboard or with
// `devserve cors NAME on|off`, relabels the API and runs the questions again.
const runtime = {};

function switched(api) {
  const cors = runtime[api.name];
  if (!cors) return null;
  const configuredOn = cors.configured !== 'off';
  if (cors.enabled === configuredOn) return null;
  return cors;
}

function label(api) {
  const cors = switched(api);
  if (!cors) return api.mode;
  return `CORS switched ${cors.enabled ? 'on' : 'off'} at runtime: ${cors.describe}`;
}

function expectation(api) {
  const cors = switched(api);
  if (!cors) return api.expect(pageOrigin);
  const why = cors.enabled
    ? `CORS of ${api.name} was switched on at runtime (${cors.describe}).`
    : `CORS of ${api.name} was switched off at runtime: no Access-Control-Allow-Origin header.`;
  const allowed = cors.enabled && cors.mode === 'on';
  return { allowed, why: { get: why, post: why, credentials: why } };
}

// What the table on the page was built with: a state that changes that asks again.
let builtWith = null;

addEventListener('devserve:origins', (event) => {
  for (const origin of event.detail) runtime[origin.name] = origin.cors;
  if (builtWith !== null && builtWith !== JSON.stringify(APIS.map(switched))) runAll();
});

function apiBase(api) {
  return `${protocol}//${SITES ? api.name + '.localhost' : hostname}:${api.port}`;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'className') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('data-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child != null) node.append(child);
  }
  return node;
}

function prettyBody(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 1).replace(/\n\s*/g, ' ');
  } catch {
    return text;
  }
}

// Build the table: one <tbody> per API origin, one row per case.
function buildTable() {
  builtWith = JSON.stringify(APIS.map(switched));
  const table = document.getElementById('results');
  for (const old of table.querySelectorAll('tbody')) old.remove();
  const cells = [];
  for (const api of APIS) {
    const base = apiBase(api);
    const tbody = el('tbody', { 'data-origin': api.name });
    tbody.append(el('tr', {},
      el('th', { className: 'origin-head', colSpan: 2, scope: 'rowgroup' },
        el('span', { text: api.name + ' ' }),
        el('a', { href: base + '/', text: base }),
        el('span', { className: 'mode', text: label(api) }))));
    const expected = expectation(api);
    for (const c of CASES) {
      const cell = el('td', {
        className: 'result',
        'data-case': `${api.name}:${c.id}`,
        'data-expected': expected.allowed ? 'allowed' : 'blocked',
      }, el('span', { className: 'badge pending-text', text: 'running…' }));
      tbody.append(el('tr', {},
        el('td', { className: 'request' },
          el('code', { text: c.label }),
          el('small', { text: c.note })),
        cell));
      cells.push({ api, c, cell, base, expectation: expected });
    }
    table.append(tbody);
  }
  return cells;
}

async function runCase({ api, c, cell, base, expectation }, generation) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let outcome;
  try {
    const response = await fetch(base + c.path, { ...c.init(), signal: controller.signal });
    const text = await response.text();
    const headers = [];
    for (const name of SHOWN_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers.push(`${name}: ${value}`);
    }
    outcome = { allowed: true, status: response.status, text, headers };
  } catch (error) {
    outcome = { allowed: false, timedOut: error && error.name === 'AbortError' };
  } finally {
    clearTimeout(timer);
  }
  if (generation !== currentGeneration) return; // a newer run replaced this table

  cell.replaceChildren();
  const expected = expectation.allowed === outcome.allowed;
  if (outcome.allowed) {
    cell.append(
      el('span', { className: 'badge allowed-text', text: `allowed (HTTP ${outcome.status})` }),
      el('pre', { className: 'body', text: prettyBody(outcome.text) }));
    if (outcome.headers.length) {
      cell.append(el('p', { className: 'header-line' },
        'Readable headers: ', el('code', { text: outcome.headers.join(' · ') })));
    }
    cell.append(el('p', { className: 'hint' },
      expected
        ? expectation.why[c.id]
        : el('span', {
          className: 'unexpected',
          text: `Not what ${api.name}'s configured mode gives: was its CORS switched at runtime (devserve cors ${api.name})?`,
        })));
  } else {
    cell.append(
      el('span', { className: 'badge blocked-text', text: 'blocked' }),
      el('p', { className: 'blocked-text', text: 'The browser refused to let the page read the response.' }));
    let hint;
    if (outcome.timedOut) {
      hint = el('span', { className: 'unexpected', text: `No answer within ${TIMEOUT_MS / 1000} s: is ${api.name} running on port ${api.port}?` });
    } else if (expected) {
      hint = expectation.why[c.id];
    } else {
      hint = el('span', {
        className: 'unexpected',
        text: `Not what ${api.name}'s configured mode gives: is devserve running it on port ${api.port}, ` +
          `or was its CORS switched off at runtime? The browser console names the exact reason.`,
      });
    }
    cell.append(el('p', { className: 'hint' }, hint));
  }
  cell.setAttribute('data-result', outcome.allowed ? 'allowed' : 'blocked');
}

let currentGeneration = 0;

async function runAll() {
  const generation = ++currentGeneration;
  const button = document.getElementById('run-again');
  const status = document.getElementById('status');
  delete document.body.dataset.done;
  button.disabled = true;
  status.textContent = 'Running…';

  const cells = buildTable();
  await Promise.allSettled(cells.map((item) => runCase(item, generation)));
  if (generation !== currentGeneration) return;

  const allowed = cells.filter(({ cell }) => cell.dataset.result === 'allowed').length;
  status.textContent = `${allowed} of ${cells.length} allowed, ${cells.length - allowed} blocked · ` +
    `finished ${new Date().toLocaleTimeString()}`;
  button.disabled = false;
  document.body.dataset.done = 'true';
}

// The login demo: the same API (api-list) reached by this page's host name (same-site) and by
// another name (cross-site). Contract for tests: each row's cell is
// <td class="login-result" data-login="same-site|cross-site" data-result="kept|dropped">, and
// document.body.dataset.loginDone === "true" once both have finished.
function loginHosts() {
  const other = SITES ? 'api-list.localhost' : hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1';
  return [['same-site', hostname], ['cross-site', other]];
}

async function tryLogin(kind, host) {
  const base = `${protocol}//${host}:${APIS[2].port}`;
  const row = el('tr', {}, el('td', {}, el('code', { text: base }), el('small', { text: kind })));
  const cell = el('td', { className: 'login-result', 'data-login': kind }, 'logging in…');
  row.append(cell);
  document.querySelector('#login tbody').append(row);
  let kept = false;
  let verdict = '';
  try {
    const login = await fetch(`${base}/login`, { method: 'POST', credentials: 'include' });
    verdict = login.headers.get('X-Devserve-Cors') || '';
    const me = await (await fetch(`${base}/me`, { credentials: 'include' })).json();
    kept = me.session === 'signed-in';
  } catch (error) {
    verdict = `the request failed (${error}): is api-list running on port ${APIS[2].port}?`;
  }
  const cookie = /cookies="([^"]*)"/.exec(verdict);
  cell.replaceChildren(
    el('span', { className: `badge ${kept ? 'allowed' : 'blocked'}-text`,
      text: kept ? 'signed in: the cookie stuck' : 'not signed in: the cookie was dropped' }),
    el('p', { className: 'hint', text: cookie ? `devserve: cookie ${cookie[1]}` : verdict }));
  cell.setAttribute('data-result', kept ? 'kept' : 'dropped');
}

async function runLogins() {
  await Promise.allSettled(loginHosts().map(([kind, host]) => tryLogin(kind, host)));
  document.body.dataset.loginDone = 'true';
}

function init() {
  document.getElementById('page-origin').textContent = pageOrigin;
  const other = hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  const link = document.getElementById('other-host');
  link.href = `${protocol}//${other}:${PAGE_PORT}/`;
  link.textContent = `${other}:${PAGE_PORT}`;
  if (SITES) link.closest('li').remove(); // api-list trusts only app.localhost here
  document.getElementById('check-command').textContent =
    `devserve check ${apiBase(APIS[1])}/hello --origin ${pageOrigin}`;
  if (!isHttp) {
    document.querySelector('.intro').append(el('p', {
      className: 'unexpected',
      text: 'Open this page through devserve (run `devserve demo`), not as a file.',
    }));
  }
  document.getElementById('run-again').addEventListener('click', () => { runAll(); });
  runAll().then(runLogins);
}

init();
