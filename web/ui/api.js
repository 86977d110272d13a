// HTTP API of docs/signaling.md: session, login, logout.
// All URLs are relative so the UI works under any configured prefix.

/** An API request that the server refused; `message` is the server's text. */
export class ApiError extends Error {
  constructor(status, message, data) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.data = data || {};
  }
}

/** Fallback texts when the server's answer carries no `error` field. */
const STATUS_TEXT = {
  400: 'The server did not understand the request',
  401: 'Wrong extension or password',
  429: 'Too many failed attempts, try again later',
  503: 'Xphone is disabled',
};

async function request(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    // The server requires JSON on POSTs (a CSRF guard together with SameSite=Strict).
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'Cannot reach the server', { cause: String(err) });
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const message = (data && data.error) || STATUS_TEXT[res.status] || `Server error (${res.status})`;
    throw new ApiError(res.status, message, data);
  }
  return data;
}

/** Returns {ext, name} when logged in, null on 401. Throws ApiError otherwise. */
export async function getSession() {
  try {
    return await request('GET', 'api/session');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

/** Logs in; resolves to {ext, name}; throws ApiError with the server's text on failure. */
export function login(ext, password) {
  return request('POST', 'api/login', { ext, password });
}

/** Ends the session; the server closes this session's WebSockets (hanging up calls). */
export async function logout() {
  await request('POST', 'api/logout', {});
}
