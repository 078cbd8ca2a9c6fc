import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authFailuresPerWindow } from '../src/plugins/auth-throttle.js';
import { auth, buildTestApp, createCampaign, createTarget, type TestApp } from './helpers/build-app.js';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('scopes that guard where letters go and who holds keys', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  async function keyWith(...scopes: string[]) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: scopes.join('+'), scopes } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as { id: string; key: string };
  }

  it("changing a target's email or postal address needs the letters scope besides campaigns", async () => {
    const campaign = await createCampaign(t.app);
    const target = await createTarget(t.app, campaign.id);
    const campaignsOnly = bearer((await keyWith('campaigns')).key);
    const url = `/api/v1/campaigns/${campaign.id}/targets/${target.id}`;
    const postalAddress = { lines: ['Mangilik El 14'], city: 'Astana', country: 'KZ' };
    for (const payload of [{ email: 'attacker@example.org' }, { postalAddress }, { name: 'Mr D', email: 'attacker@example.org' }]) {
      const res = await t.app.inject({ method: 'PATCH', url, headers: campaignsOnly, payload });
      assert.equal(res.statusCode, 403, JSON.stringify(payload));
      assert.equal(res.headers['content-type'], 'application/problem+json');
      assert.match(res.json().detail, /letters/);
    }
    const unchanged = (await t.app.inject({ url, headers: auth })).json();
    assert.equal(unchanged.email, 'prosecutor-general@example.kz');
    assert.equal(unchanged.postalAddress, null);
    assert.equal(unchanged.name, 'Mr Daulbayev');

    const renamed = await t.app.inject({ method: 'PATCH', url, headers: campaignsOnly, payload: { salutation: 'Dear Prosecutor General' } });
    assert.equal(renamed.statusCode, 200, 'other fields stay the campaigns scope alone');
    const both = bearer((await keyWith('campaigns', 'letters')).key);
    const moved = await t.app.inject({ method: 'PATCH', url, headers: both, payload: { email: 'office@example.kz', postalAddress } });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.equal(moved.json().email, 'office@example.kz');
  });

  it('a key may revoke only keys whose scopes are all among its own', async () => {
    const keysOnly = bearer((await keyWith('keys')).key);
    const powerful = await keyWith('campaigns', 'letters', 'supporters', 'keys');
    const lettersKey = await keyWith('letters');
    const revoke = (id: string, headers: Record<string, string>) => t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers });
    for (const victim of [powerful, lettersKey]) {
      const res = await revoke(victim.id, keysOnly);
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(res.headers['content-type'], 'application/problem+json');
    }
    assert.equal((await t.app.inject({ url: '/api/v1/campaigns', headers: bearer(powerful.key) })).statusCode, 200, 'still valid');
    const peer = await keyWith('keys');
    assert.equal((await revoke(peer.id, keysOnly)).statusCode, 204, 'a key with the same scopes');
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(peer.key), payload: { name: 'x', scopes: ['keys'] } })).statusCode, 401);
    const lettersAndKeys = bearer((await keyWith('letters', 'keys')).key);
    assert.equal((await revoke(lettersKey.id, lettersAndKeys)).statusCode, 204, 'a key holding every scope of the revoked one');
    assert.equal((await revoke('key_unknown', keysOnly)).statusCode, 404);
  });
});

describe('failed bearer authentication is throttled per client address', () => {
  let t: TestApp;
  let now = new Date('2026-12-01T10:00:00Z');
  before(async () => {
    t = await buildTestApp({}, { clock: { now: () => now } });
  });
  after(() => t.close());

  const call = (headers: Record<string, string>, remoteAddress: string) => t.app.inject({ url: '/api/v1/campaigns', headers, remoteAddress });
  const wrong = (n: number) => bearer(`chorus_wrong-guess-${String(n).padStart(20, '0')}`);

  it(`answers 429 with Retry-After after ${authFailuresPerWindow} failures a minute, to every key, until the minute is over`, async () => {
    const guesser = '198.51.100.30';
    for (let i = 0; i < 50; i++) assert.equal((await call(auth, guesser)).statusCode, 200, 'successes are not counted');
    for (let i = 0; i < authFailuresPerWindow; i++) {
      assert.equal((await call(wrong(i), guesser)).statusCode, 401, `failure ${i + 1}`);
      if (i === 0) assert.equal((await call(auth, guesser)).statusCode, 200);
    }
    for (const headers of [wrong(99), { authorization: 'Basic dXNlcjpwYXNz' }, auth]) {
      const res = await call(headers, guesser);
      assert.equal(res.statusCode, 429, JSON.stringify(headers));
      assert.equal(res.headers['content-type'], 'application/problem+json');
      assert.equal(res.json().status, 429);
      assert.ok(Number(res.headers['retry-after']) > 0 && Number(res.headers['retry-after']) <= 60);
    }
    assert.equal((await call(auth, '198.51.100.31')).statusCode, 200, 'another client is not affected');
    assert.equal((await call(wrong(1), '198.51.100.31')).statusCode, 401);

    now = new Date(now.getTime() + 61_000);
    assert.equal((await call(auth, guesser)).statusCode, 200, 'a new minute, a new allowance');
    assert.equal((await call(wrong(100), guesser)).statusCode, 401);
  });

  it('counts failed dashboard sign-ins in the same allowance', async () => {
    const guesser = '198.51.100.40';
    for (let i = 0; i < authFailuresPerWindow; i++) assert.equal((await call(wrong(i), guesser)).statusCode, 401);
    const page = await t.app.inject({ url: '/admin', remoteAddress: guesser });
    const cookie = [page.headers['set-cookie'] ?? []].flat().map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/admin/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: new URLSearchParams({ _csrf: csrf, key: 'chorus_yet-another-guess-000000000' }).toString(),
      remoteAddress: guesser,
    });
    assert.equal(signIn.statusCode, 429);
    assert.ok(Number(signIn.headers['retry-after']) > 0);
  });

  it('holds across instances on one database: failures spread over two count as one allowance', async () => {
    const other = await buildTestApp({ ...t.dbEnv }, { clock: { now: () => now } });
    try {
      const guesser = '198.51.100.50';
      for (let i = 0; i < authFailuresPerWindow; i++) {
        const app = i % 2 === 0 ? t.app : other.app;
        assert.equal((await app.inject({ url: '/api/v1/campaigns', headers: wrong(i), remoteAddress: guesser })).statusCode, 401, `failure ${i + 1}`);
      }
      for (const app of [t.app, other.app]) assert.equal((await app.inject({ url: '/api/v1/campaigns', headers: auth, remoteAddress: guesser })).statusCode, 429);
    } finally {
      await other.close();
    }
  });
});
