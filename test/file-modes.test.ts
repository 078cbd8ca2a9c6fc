import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMailer } from '../src/delivery/transport.js';
import { buildTestApp, createCampaign, type TestApp } from './helpers/build-app.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('files Chorus writes are readable by its own user only (0600)', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  // SQLite-only: the database's own files, and the backup that copies them.
  it('the database and its -wal and -shm', async () => {
    await createCampaign(t.app);
    for (const file of [t.dbPath, `${t.dbPath}-wal`, `${t.dbPath}-shm`]) assert.equal(modeOf(file), '600', file);
  });

  it('a backup from npm run backup', () => {
    const dest = join(t.dir, 'backups', 'chorus-backup.db');
    const res = spawnSync('npm', ['run', '-s', 'backup', '--', dest], {
      cwd: root,
      env: { ...process.env, DATABASE_PATH: t.dbPath },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(res.status, 0, res.stderr);
    assert.equal(modeOf(dest), '600');
  });

  it('each .eml of the file transport', async () => {
    const dir = join(t.dir, 'mail');
    const mailer = createMailer({ url: `file:${dir}` });
    await mailer.send({ from: 'no-reply@example.org', to: 'prosecutor-general@example.kz', subject: 'Letter', text: 'Jane Roe, Cork' });
    mailer.close();
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    assert.equal(files.length, 1);
    assert.equal(modeOf(join(dir, files[0]!)), '600');
  });
});
