import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { readLetterTemplate } from '../src/demo.js';
import { checkTemplate, compileLetter, type LetterContext } from '../src/render/letter-engine.js';
import { auth, buildTestApp, createCampaign, createTarget, type TestApp } from './helpers/build-app.js';

/** [template source, a word the 422's errors[] must name] */
const hostile: [string, string][] = [
  ['Dear {{supporter.password}}', 'supporter.password'],
  ['{{target.email}}', 'target.email'],
  ['{{lookup supporter "name"}}', 'lookup'],
  ['{{#each supporter}}{{this}}{{/each}}', 'each'],
  ['{{#with supporter}}{{name}}{{/with}}', 'with'],
  ['{{log}}', 'log'],
  ['{{log "leak"}}', 'log'],
  ['{{> letterhead}}', 'partial'],
  ['{{#> layout}}x{{/layout}}', 'partial'],
  ['{{> (lookup . "x")}}', 'partial'],
  ['{{@root}}', '@root'],
  ['{{@root.constructor}}', '@root.constructor'],
  ['{{@root.supporter.name}}', '@root.supporter.name'],
  ['{{@index}}', '@index'],
  ['{{this}}', 'this'],
  ['{{this.supporter.name}}', 'this.supporter.name'],
  ['{{./supporter.name}}', './supporter.name'],
  ['{{../x}}', '../x'],
  ['{{__proto__}}', '__proto__'],
  ['{{supporter.__proto__}}', 'supporter.__proto__'],
  ['{{constructor}}', 'constructor'],
  ['{{supporter.constructor}}', 'supporter.constructor'],
  ['{{supporter.name.constructor}}', 'supporter.name.constructor'],
  ['{{supporter.[constructor]}}', 'supporter.constructor'],
  ['{{supporter.name.length}}', 'supporter.name.length'],
  ['{{"constructor"}}', 'constructor'],
  ['{{#if (lookup supporter "constructor")}}x{{/if}}', 'SubExpression'],
  ['{{supporter.name (lookup supporter "email")}}', 'supporter.name'],
  ['{{supporter.name format="x"}}', 'supporter.name'],
  ['{{* decorate}}', 'decorator'],
  ['{{#* inline "p"}}{{supporter.email}}{{/inline}}', 'decorator'],
  ['{{{{raw}}}}{{supporter.name}}{{{{/raw}}}}', 'raw'],
  ['{{#helperMissing}}x{{/helperMissing}}', 'helperMissing'],
  ['{{blockHelperMissing}}', 'blockHelperMissing'],
  ['{{#if supporter.note}}a{{else if supporter.secret}}b{{/if}}', 'supporter.secret'],
  ['{{#if supporter.note supporter.city}}x{{/if}}', 'if'],
  ['{{#unless}}x{{/unless}}', 'unless'],
  ['{{#if supporter.note}}unclosed', "does not compile: Parse error on line 3: Expecting 'OPEN_INVERSE_CHAIN', 'INVERSE', 'OPEN_ENDBLOCK', got 'EOF'"],
  ['{{supporter.name', 'does not compile: Parse error on line 2: Expecting'],
  ['{{#if supporter.note}}x{{/unless}}', "does not compile: if doesn't match unless"],
];

describe('hostile letter templates are refused at save time', () => {
  let t: TestApp;
  let campaignId: string;
  before(async () => {
    t = await buildTestApp();
    campaignId = (await createCampaign(t.app)).id;
  });
  after(() => t.close());

  const save = (payload: unknown) =>
    t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/templates`, headers: auth, payload: payload as object });
  const stored = async () => (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/templates`, headers: auth })).json().items.length;

  for (const [source, named] of hostile) {
    it(`body ${source} → 422 naming ${named}`, async () => {
      const res = await save({ name: 'Hostile', subject: 'Subject', body: `Dear official,\n${source}\n` });
      assert.equal(res.statusCode, 422, res.body);
      assert.equal(res.headers['content-type'], 'application/problem+json');
      const errors = res.json().errors as { path: string; message: string }[];
      assert.ok(errors.length > 0);
      assert.ok(errors.every((e) => e.path === 'body'), res.body);
      assert.ok(errors.some((e) => e.message.includes(named)), `${named} not named in ${res.body}`);
    });
  }

  it('checks the subject the same way', async () => {
    const res = await save({ name: 'Hostile', subject: 'For {{lookup target "name"}} {{@root}}', body: 'fine {{supporter.name}}' });
    assert.equal(res.statusCode, 422);
    const errors = res.json().errors as { path: string; message: string }[];
    assert.ok(errors.every((e) => e.path === 'subject'));
    assert.ok(errors.some((e) => e.message.includes('lookup')) && errors.some((e) => e.message.includes('@root')), res.body);
  });

  it('lists every offending construct, not just the first', async () => {
    const res = await save({ name: 'Hostile', subject: 'S', body: '{{supporter.ssn}} {{> p}} {{lookup a "b"}} {{../up}} {{@root}}' });
    assert.equal(res.statusCode, 422);
    const messages = (res.json().errors as { message: string }[]).map((e) => e.message).join(' | ');
    for (const word of ['supporter.ssn', 'partial', 'lookup', '../up', '@root']) assert.ok(messages.includes(word), messages);
  });

  for (const body of [{ type: 'Program', body: [] }, ['{{supporter.name}}'], 42, null, true]) {
    it(`a body that is not a string (${JSON.stringify(body)}) is a 422 validation error before any compile`, async () => {
      const res = await save({ name: 'Object', subject: 'S', body });
      assert.equal(res.statusCode, 422);
      // The validation problem type: the request was refused by the schema, the template code never ran.
      assert.equal(res.json().type, 'urn:chorus:problem:validation');
      assert.deepEqual(res.json().errors.map((e: { path: string }) => e.path), ['body']);
    });
  }

  it('none of the refused templates was stored', async () => {
    assert.equal(await stored(), 0);
  });

  it('accepts every allowed field, if/unless/else, comments and whitespace control', async () => {
    const body =
      '{{!-- a comment --}}{{~target.salutation~}},\n{{target.name}} {{target.title}} {{target.organization}} {{campaign.title}} {{date}}\n' +
      '{{#if supporter.note}}{{supporter.note}}{{else}}-{{/if}} {{#unless supporter.city}}no city{{/unless}}\n' +
      '{{supporter.name}} {{supporter.email}} {{supporter.city}} {{supporter.country}} {{supporter.countryName}} {{{supporter.name}}}';
    const res = await save({ name: 'Allowed', subject: '{{supporter.name}} writes to {{target.title}}', body });
    assert.equal(res.statusCode, 201, res.body);
  });

  it('the shipped letters (seeds 002 and 003) pass the check', () => {
    const dir = new URL('../templates/letters/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.hbs'));
    assert.ok(files.length >= 2);
    for (const file of files) {
      const { subject, body } = readLetterTemplate(file);
      assert.deepEqual([...checkTemplate(subject, 'subject'), ...checkTemplate(body, 'body')], [], file);
    }
  });
});

describe('letter engine', () => {
  const ctx: LetterContext = {
    supporter: { name: "Seán O'Brien", email: 'sean@example.org', city: '', country: 'IE', countryName: 'Ireland', note: '<script>alert(1)</script> & "x"' },
    target: { name: 'Mr Daulbayev', title: 'Prosecutor General', organization: 'Office', salutation: 'Dear Sir' },
    campaign: { title: 'T' },
    date: 'March 1, 2026',
  };

  it('text is never HTML-escaped; HTML is', () => {
    const source = '{{supporter.name}}: {{supporter.note}}';
    assert.equal(compileLetter('engine-text', source, 'text')(ctx), `Seán O'Brien: <script>alert(1)</script> & "x"`);
    assert.equal(
      compileLetter('engine-html', source, 'html')(ctx),
      'Seán O&#x27;Brien: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;',
    );
  });

  it('refuses to compile unchecked or non-string sources even when called directly', () => {
    assert.throws(() => compileLetter('engine-bad', '{{lookup supporter "constructor"}}'), /unsafe template/);
    assert.throws(() => compileLetter('engine-obj', { type: 'Program', body: [] } as unknown as string), TypeError);
  });

  it('only if and unless work as helpers, even when compileLetter is called directly', () => {
    assert.throws(() => compileLetter('engine-each', '{{#each supporter}}x{{/each}}'), /unsafe template/);
    assert.equal(compileLetter('engine-if', '{{#if supporter.city}}city{{else}}no city{{/if}}')(ctx), 'no city');
  });
});

describe('templates render for real campaigns', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  it('the Article 33 appeal previews with every merge field filled', async () => {
    const c = await createCampaign(t.app);
    const target = await createTarget(t.app, c.id);
    const appeal = readLetterTemplate('article-33-appeal.hbs');
    const tpl = await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${c.id}/templates`, headers: auth, payload: { name: 'Appeal', ...appeal } });
    assert.equal(tpl.statusCode, 201, tpl.body);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${c.id}/preview`,
      headers: auth,
      payload: { targetId: target.id, supporter: { name: 'Jane Roe', country: 'NO', city: 'Bergen', note: 'Please let him stay.' } },
    });
    assert.equal(res.statusCode, 200, res.body);
    const { subject, text } = res.json();
    assert.equal(subject, 'Please do not extradite Pastor Makset Djabbarbergenov to Uzbekistan');
    assert.match(text, /^Dear Mr Daulbayev,\n/);
    assert.match(text, /Article 33 of the Convention/);
    assert.match(text, /Article 3 of the Convention against Torture/);
    assert.match(text, /\n\nPlease let him stay.\n/);
    assert.match(text, /Jane Roe\nBergen, Norway\n\w+ \d{1,2}, \d{4}\n?$/);
    assert.doesNotMatch(text, /\{\{|\}\}/);
  });
});
