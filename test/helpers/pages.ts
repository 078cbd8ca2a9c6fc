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
