import type { FastifyInstance } from 'fastify';

/** The CSRF cookie and form token a browser would hold after loading `url`. */
export async function formSession(app: FastifyInstance, url: string, cookie = '') {
  const res = await app.inject({ url, headers: cookie ? { cookie } : {} });
  const set = [res.headers['set-cookie'] ?? []].flat();
  const csrfCookie = set.map((c) => c.split(';')[0]!).find((c) => c.startsWith('_csrf='));
  const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
  if (!token) throw new Error(`no CSRF token on ${url}: ${res.statusCode}`);
  return { cookie: [cookie, csrfCookie].filter(Boolean).join('; '), token, page: res };
}

/** A urlencoded form post, as a browser without JavaScript sends it. */
export function postForm(app: FastifyInstance, url: string, fields: [string, string][], cookie = '', headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}), ...headers },
    payload: new URLSearchParams(fields).toString(),
  });
}

/**
 * A form post answered by post/redirect/get: asserts the 303 to the "check your inbox" page and
 * loads it as the browser would, so tests read the page the supporter sees.
 */
export async function followSigned(app: FastifyInstance, posted: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  if (posted.statusCode !== 303) throw new Error(`expected a 303 to the signed page, got ${posted.statusCode}: ${posted.body.slice(0, 300)}`);
  const location = String(posted.headers.location);
  if (!/^\/c\/[^/]+\/signed\?ticket=[\w-]+$/.test(location)) throw new Error(`unexpected redirect to ${location}`);
  const page = await app.inject({ url: location });
  return { location, page, statusCode: page.statusCode, body: page.body, headers: page.headers };
}
