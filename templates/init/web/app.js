// The API is another origin: same scheme and host as this page, port 8001.
// Building the URL from location keeps localhost and 127.0.0.1 both working.
const API = `${location.protocol}//${location.hostname}:8001`;

const view = document.getElementById('view');
const title = document.getElementById('title');

// fetch() fails with a TypeError when the browser refuses to let the page read
// a cross-origin response (or the API is not running): say so plainly.
async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(API + path, options);
  } catch (error) {
    throw new Error(
      `The browser blocked ${options.method || 'GET'} ${API}${path} (CORS), or the api origin is not running. ` +
      'The browser console names the reason; `devserve status` shows the CORS state of each origin.');
  }
  if (!response.ok) throw new Error(`${API}${path} answered HTTP ${response.status}`);
  return response;
}

function showError(error) {
  view.replaceChildren(Object.assign(document.createElement('p'), { className: 'error', textContent: error.message }));
}

async function showList() {
  title.textContent = 'Users';
  const response = await api('/users');
  const users = await response.json();
  // X-Total-Count is readable only because the API lists it in expose_headers.
  const total = response.headers.get('X-Total-Count');
  const list = document.createElement('ul');
  for (const user of users) {
    const link = Object.assign(document.createElement('a'), { href: `/users/${user.id}`, textContent: user.name });
    link.addEventListener('click', (event) => {
      event.preventDefault();
      history.pushState(null, '', link.href); // client-side routing; spa = true handles a reload
      render();
    });
    const item = document.createElement('li');
    item.append(link);
    list.append(item);
  }
  const count = Object.assign(document.createElement('p'), {
    className: 'muted',
    textContent: total === null ? 'X-Total-Count is not readable (not exposed).' : `X-Total-Count: ${total}`,
  });
  view.replaceChildren(list, count);
}

async function showUser(id) {
  title.textContent = `User ${id}`;
  // The Authorization header makes this a non-simple request: the browser sends a
  // preflight first, which succeeds because the API lists it in allow_headers.
  const response = await api(`/users/${id}`, { headers: { Authorization: 'Bearer dev-token' } });
  const pre = Object.assign(document.createElement('pre'), {
    textContent: JSON.stringify(await response.json(), null, 2),
  });
  const back = Object.assign(document.createElement('a'), { href: '/', textContent: '← all users' });
  back.addEventListener('click', (event) => {
    event.preventDefault();
    history.pushState(null, '', '/');
    render();
  });
  view.replaceChildren(pre, back);
}

async function render() {
  const match = location.pathname.match(/^\/users\/(\d+)$/);
  try {
    await (match ? showUser(match[1]) : showList());
  } catch (error) {
    showError(error);
  }
}

document.getElementById('add-user').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const output = document.getElementById('post-result');
  output.hidden = false;
  try {
    const response = await api('/users', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' }, // JSON also needs a preflight
      body: JSON.stringify({ name: form.elements.name.value }),
    });
    output.textContent = `HTTP ${response.status}\n` + JSON.stringify(await response.json(), null, 2);
    form.reset();
  } catch (error) {
    output.textContent = error.message;
  }
});

window.addEventListener('popstate', render);
render();
