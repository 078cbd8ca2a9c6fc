import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMailer } from '../src/delivery/transport.js';

const letter = {
  from: { name: 'Jane Roe via Chorus', address: 'letters@example.org' },
  to: [{ name: 'Mr Daulbayev', address: 'prosecutor-general@example.kz' }],
  subject: 'Do not extradite Pastor Makset',
  text: 'Article 33 of the 1951 Refugee Convention forbids refoulement.',
  messageId: '<ltr_test@example.org>',
};

describe('MAIL_TRANSPORT', () => {
  it('log prints each whole message and sends nothing', async () => {
    const printed: string[] = [];
    const mailer = createMailer({ url: 'log', print: (text) => printed.push(text) });
    await mailer.send(letter);
    mailer.close();
    assert.equal(printed.length, 1);
    assert.match(printed[0]!, /^----- mail <ltr_test@example\.org> -----\n/);
    assert.match(printed[0]!, /^To: Mr Daulbayev <prosecutor-general@example\.kz>\r?$/m);
    assert.match(printed[0]!, /Article 33 of the 1951 Refugee Convention/);
  });

  it('refuses an unknown scheme with a line that names the accepted ones', () => {
    assert.throws(() => createMailer({ url: 'sendmail:/usr/sbin/sendmail' }), /MAIL_TRANSPORT must be smtp:\/\/, smtps:\/\/, file:<dir> or log \(got sendmail\)/);
  });
});
