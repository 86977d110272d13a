// HTTP API of docs/signaling.md: session, login, logout.
// All URLs are relative so the UI works under any configured prefix.

/**
 * An API request that the server refused. `code` is the server's error
 * code (the UI shows its text from the catalogue), `message` its own text.
 */
export class ApiError extends Error {
  constructor(status, message, data) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.data = data || {};
    this.code = this.data.code || CODE_OF_STATUS[status] || '';
    this.retryAfter = Number(this.data.retry_after) || 0;
  }
}

/** Codes when the server's answer carries none (a proxy answered, say). */
const CODE_OF_STATUS = {
  400: 'bad_request', 401: 'bad_credentials', 403: 'no_access', 429: 'locked_out', 503: 'disabled',
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
    throw new ApiError(0, String(err), {});
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    throw new ApiError(res.status, (data && data.error) || `HTTP ${res.status}`, data);
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

/** Logs in; resolves to {ext, name}; throws ApiError on failure. */
export function login(ext, password) {
  return request('POST', 'api/login', { ext, password });
}

/** Ends the session; the server closes this session's WebSockets (hanging up calls). */
export async function logout() {
  await request('POST', 'api/logout', {});
}
