import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildTestApp, type TestApp } from './helpers/build-app.js';

const root = fileURLToPath(new URL('..', import.meta.url));
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: Json;
  const operations: { id: string; method: string; path: string; op: Json }[] = [];
  before(async () => {
    t = await buildTestApp();
    doc = (await t.app.inject({ url: '/docs/json' })).json();
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(methods)) operations.push({ id: op.operationId, method, path, op });
    }
  });
  after(() => t.close());

  it('passes Redocly CLI\'s recommended ruleset with no errors', { timeout: 120_000 }, (ctx) => {
    const file = join(t.dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const lint = spawnSync(join(root, 'node_modules', '.bin', 'redocly'), ['lint', '--extends=recommended', '--format=json', file], {
      cwd: t.dir,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true' },
      timeout: 110_000,
    });
    const report = JSON.parse(lint.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; severity: string; message: string }[] };
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message}`);
    assert.deepEqual(errors, []);
    assert.equal(report.totals.errors, 0);
    assert.equal(lint.status, 0, lint.stderr);
    // The request and response copies of each schema that no operation uses are left out.
    assert.deepEqual(report.problems.filter((p) => p.ruleId === 'no-unused-components'), []);
    ctx.diagnostic(`Redocly warnings: ${report.totals.warnings} (${report.problems.map((p) => p.ruleId).join(', ')})`);
  });

  it('every operation has a summary and its security: none on public routes, the bearer key on organizer routes', () => {
    assert.ok(operations.length >= 33, String(operations.length));
    for (const { id, path, op } of operations) {
      assert.ok(op.summary, id);
      const organizer = path.startsWith('/api/v1/') && !/^\/api\/v1\/(actions|confirmations)\//.test(path);
      assert.deepEqual(op.security, organizer ? [{ bearer: [] }] : [], id);
    }
  });

  it('every error is application/problem+json, and what the route\'s declaration implies is declared', () => {
    const statuses = (id: string) => Object.keys(operations.find((o) => o.id === id)!.op.responses).map(Number);
    for (const { id, op } of operations) {
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
        assert.ok(response.headers['X-Request-Id'], `${id} ${status} X-Request-Id`);
        if (Number(status) < 400) continue;
        assert.deepEqual(Object.keys(response.content), ['application/problem+json'], `${id} ${status}`);
        assert.equal(response.content['application/problem+json'].schema.$ref, '#/components/schemas/Problem');
        if (status === '429' || status === '503') assert.ok(response.headers['Retry-After'], `${id} ${status} Retry-After`);
      }
      assert.ok(op.responses['503'], `${id} sheds load`);
    }
    // Organizer, with a body: authentication, parsing, validation, idempotency, plus its own 409.
    assert.deepEqual(statuses('createCampaign'), [201, 400, 401, 403, 409, 413, 415, 422, 429, 503]);
    // Public, rate limited, with path parameters and a body.
    assert.deepEqual(statuses('submitLetters'), [202, 400, 404, 409, 413, 415, 422, 429, 503]);
    assert.deepEqual(statuses('getCount'), [200, 304, 404, 503]);
    assert.deepEqual(statuses('countEvents'), [200, 404, 429, 503]);
    assert.deepEqual(statuses('printLetters'), [200, 401, 403, 404, 409, 422, 429, 503]);
  });

  it('declares the headers of API.md: Idempotency-Key on POSTs, ETag on the count, Retry-After, X-Request-Id', () => {
    for (const { id, method, op } of operations) {
      const headers = (op.parameters ?? []).filter((p: Json) => p.in === 'header').map((p: Json) => p.name);
      assert.ok(headers.includes('X-Request-Id'), id);
      assert.equal(headers.includes('Idempotency-Key'), method === 'post', id);
    }
    const count = operations.find((o) => o.id === 'getCount')!.op;
    assert.ok(count.responses['200'].headers.ETag);
    assert.ok(count.responses['304'].headers.ETag);
    assert.equal(count.responses['304'].content, undefined);
    assert.ok(operations.find((o) => o.id === 'createCampaign')!.op.responses['401'].headers['WWW-Authenticate']);
  });

  it('gives the CSV, the PDF and the event stream their content types', () => {
    const content = (id: string) => Object.keys(operations.find((o) => o.id === id)!.op.responses['200'].content);
    assert.deepEqual(content('exportLettersCsv'), ['text/csv']);
    assert.deepEqual(content('printLetters'), ['application/pdf']);
    assert.deepEqual(content('countEvents'), ['text/event-stream']);
    const pdf = operations.find((o) => o.id === 'printLetters')!.op.responses['200'];
    assert.ok(pdf.headers['X-Chorus-Print-Run']);
  });
});
