// A test page's helpers for event streams and sockets, the same in Chromium and Firefox: each
// returns plain data (or a promise of it) for the test to compare.
(() => {
  "use strict";
  window.socks = {};

  // Read an event stream until the browser closes it (a 204 once the stream is finished, or a
  // failed CORS check) or timeoutMs passes: every event with its type, data and id.
  window.collectEvents = (url, { types = [], credentials = false, timeoutMs = 8000 } = {}) =>
    new Promise((resolve) => {
      const events = [];
      let opened = 0;
      const source = new EventSource(url, { withCredentials: credentials });
      const done = (end) => {
        source.close();
        resolve({ events, end, opened });
      };
      const keep = (event) => events.push({ type: event.type, data: event.data, id: event.lastEventId });
      for (const type of types) source.addEventListener(type, keep);
      source.onmessage = keep;
      source.onopen = () => { opened += 1; };
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) done("closed");
      };
      setTimeout(() => done("timeout"), timeoutMs);
    });

  // Open a socket named `name`; resolves "open", or "closed" if it never opened.
  window.openSocket = (name, url) =>
    new Promise((resolve) => {
      const sock = { messages: [], close: null };
      window.socks[name] = sock;
      const ws = new WebSocket(url);
      sock.ws = ws;
      ws.onmessage = (event) => sock.messages.push(event.data);
      ws.onopen = () => resolve("open");
      ws.onclose = (event) => {
        sock.close = { code: event.code, reason: event.reason };
        resolve("closed");
      };
    });

  // Wait until socket `name` has `count` messages (or is closed): its messages and close.
  window.socketState = (name, count = 0, timeoutMs = 8000) =>
    new Promise((resolve) => {
      const sock = window.socks[name];
      const started = Date.now();
      const check = () => {
        if (sock.messages.length >= count || sock.close || Date.now() - started > timeoutMs) {
          resolve({ messages: sock.messages.slice(), close: sock.close });
        } else {
          setTimeout(check, 10);
        }
      };
      check();
    });

  window.socketSend = (name, text) => {
    window.socks[name].ws.send(text);
    return true;
  };

  // Wait until socket `name` is closed: its messages and its close code and reason.
  window.socketClosed = (name, timeoutMs = 8000) =>
    new Promise((resolve) => {
      const sock = window.socks[name];
      const started = Date.now();
      const check = () => {
        if (sock.close || Date.now() - started > timeoutMs) {
          resolve({ messages: sock.messages.slice(), close: sock.close });
        } else {
          setTimeout(check, 10);
        }
      };
      check();
    });
})();
