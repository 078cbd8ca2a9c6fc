import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { newId } from './domain/ids.js';
import type { Services } from './services.js';
import type { Store } from './store/index.js';

const lettersDir = fileURLToPath(new URL('../templates/letters/', import.meta.url));

/** A shipped letter: first line `Subject: …`, the rest is the Handlebars body. */
export function readLetterTemplate(file: string): { subject: string; body: string } {
  const [first = '', ...rest] = readFileSync(lettersDir + file, 'utf8').split('\n');
  return { subject: first.replace(/^Subject:\s*/, ''), body: rest.join('\n') };
}

export const demoSlugs = { makset: 'stop-makset-extradition', bakhytzhan: 'letters-to-pastor-bakhytzhan' } as const;

/**
 * The two real campaigns of ../shared/seeds as demo data, only into an empty database, in one
 * transaction: two servers starting at once on an empty PostgreSQL database seed it once, and
 * the one that loses the race (its slugs are taken) finds the demo there and goes on.
 * Every address is on a reserved example domain: demo mail never reaches a real person.
 */
export async function seedDemo(store: Pick<Store, 'campaigns' | 'transaction'>, services: Services): Promise<boolean> {
  try {
    return await store.transaction(() => seed(store, services));
  } catch (err) {
    if ((await services.campaigns.list(1)).items.length > 0) return false;
    throw err;
  }
}

async function seed(store: Pick<Store, 'campaigns'>, services: Services): Promise<boolean> {
  if ((await services.campaigns.list(1)).items.length > 0) return false;
  const { campaigns, targets, templates } = services;

  const makset = await campaigns.create({
    slug: demoSlugs.makset,
    title: 'Stop the extradition of Pastor Makset Djabbarbergenov to Uzbekistan',
    summary:
      'A refugee pastor is held in an Almaty prison, facing extradition to Uzbekistan for leading house churches. Ask Kazakhstan to honour the Refugee Convention.',
    story:
      'Makset Djabbarbergenov led small Christian communities in Karakalpakstan without official registration. Arrested six times, he fled to Kazakhstan in 2007; in 2009 the UNHCR recognised him and his family as refugees. Kazakhstan has refused to recognise that status. On 5 September 2012 police arrested him at noon in the family home in Almaty. Uzbekistan wants him returned to face charges that could mean years in prison. His wife Aygul, pregnant with their fifth child, was told by her husband: "This is very serious. Call everyone you can. Tell them what is happening to me."',
    status: 'active',
    goal: 5000,
    locale: 'en',
    confirmation: 'email',
    delivery: { mode: 'email', perTargetPerHour: 120 },
    rules: { forbiddenPhrases: [], noteMaxLength: 1000 },
    // An invented organization with example.org addresses: the demo must not name a real one.
    sender: {
      name: 'Friends of Makset (demo)',
      email: 'letters@friends-of-makset.example.org',
      url: 'https://friends-of-makset.example.org/',
      privacyNotice:
        'Friends of Makset is a volunteer group. We use your name, city and country only to sign the letters you send, and your email address only to confirm them and, if you ask, to tell you how the case goes.\n\nWe never share your address. Write to letters@friends-of-makset.example.org to see, correct or erase what we hold about you.',
    },
  });
  await targets.create(makset.id, {
    name: 'Mr Daulbayev',
    title: 'Prosecutor General of Kazakhstan',
    organization: 'Kazakhstan State Office of Public Prosecutor',
    email: 'prosecutor-general@example.kz',
    postalAddress: { lines: ['8 Orynbor Street', 'House of the Ministries, entrance No. 2'], city: 'Astana', postcode: '010000', country: 'KZ' },
    salutation: 'Dear Mr Daulbayev',
    // He reads Russian: his letters go out in the Russian version of the appeal below.
    locale: 'ru',
  });
  await targets.create(makset.id, {
    name: 'Ambassador of Kazakhstan',
    title: 'Ambassador of the Republic of Kazakhstan to the United States',
    organization: 'Embassy of the Republic of Kazakhstan',
    email: 'ambassador@example.kz',
    salutation: 'Your Excellency',
  });
  const appeal = await templates.create(makset.id, { name: 'Article 33 appeal', locale: 'en', ...readLetterTemplate('article-33-appeal.hbs') });
  await templates.create(makset.id, {
    name: 'Обращение по статье 33',
    locale: 'ru',
    translationOf: appeal.id,
    ...readLetterTemplate('article-33-appeal.ru.hbs'),
  });
  await insertUpdates(store, makset.id, [
    ['2012-09-05T12:00:00.000Z', 'Arrested at home in Almaty', 'Police arrested Pastor Makset at noon in the family home, "just for his fingerprints". For six days his wife heard nothing from him.'],
    ['2012-10-01T09:00:00.000Z', 'Extradition request pending', 'Uzbekistan has raised the charges to terrorism and demands his return. The Extradition Division of the Prosecutor General\'s Office is deciding.'],
  ]);

  const bakhytzhan = await campaigns.create({
    slug: demoSlugs.bakhytzhan,
    title: 'Write to Pastor Bakhytzhan Kashkumbayev in prison',
    summary: 'A 67-year-old pastor awaits trial in an Astana prison. A personal letter tells him he is not forgotten.',
    story:
      'Pastor Bakhytzhan Kashkumbayev has led his church since 1995. He was charged with "harming health" after praying over the sick and serving red tea at communion, and held in prison and a psychiatric facility awaiting trial. Letters are printed and posted to the prison.',
    status: 'active',
    locale: 'en',
    confirmation: 'email',
    delivery: { mode: 'postal' },
    rules: {
      // The campaign's writing guidance: "don't mention any organizations from which you received this information".
      forbiddenPhrases: ['Open Doors', 'Voice of the Martyrs', 'Mission Network News', 'Forum 18', 'Chorus', 'Prisoner Letters Circle'],
      noteMaxLength: 1500,
      guidance:
        'Do not mention any organization that told you about him: letters are read by the prison. Be respectful of Kazakhstan, keep to words of support and comfort, and write personally.',
    },
    sender: {
      name: 'Prisoner Letters Circle (demo)',
      email: 'post@prisoner-letters.example.org',
      url: 'https://prisoner-letters.example.org/',
      postalAddress: { lines: ['Postfach 10 20 30'], city: 'Berlin', postcode: '10115', country: 'DE' },
      privacyNotice:
        'The Prisoner Letters Circle prints the letters written here and posts them to the prison. The printed letter carries your name, city and country as you typed them, and nothing about us.\n\nYour email address is used only to confirm your letter and, if you ask, for news of the case. Write to post@prisoner-letters.example.org to see, correct or erase what we hold about you.',
    },
    // A reply can reach the circle's post box; the circle's name is never printed (the rules forbid it), and no footer.
    postal: { returnAddress: 'organization', footer: false },
  });
  await targets.create(bakhytzhan.id, {
    name: 'Bakhytzhan Kashkumbaev',
    title: 'Pastor',
    organization: 'SI-12 (ETs 166/1)',
    postalAddress: { lines: ['SI-12 (ETs 166/1)', 'Alash Tas Zhol street 30/1'], city: 'Astana', postcode: '010000', country: 'KZ' },
    salutation: 'Dear Pastor Bakhytzhan',
  });
  await templates.create(bakhytzhan.id, { name: 'Letter of encouragement', locale: 'en', ...readLetterTemplate('encouragement.hbs') });
  await insertUpdates(store, bakhytzhan.id, [
    ['2014-02-01T12:00:00.000Z', 'Re-arrested at the prison gate', 'Released to await trial under house arrest on 8 October 2013, he was arrested again by police waiting at the prison entrance.'],
    ['2014-02-05T12:00:00.000Z', 'Two charges dropped', 'On 29 January two charges were dropped; "intentional damage of the health" and inciting sectarian strife remain.'],
  ]);
  return true;
}

/** Timeline entries carry their historical dates, so they are written directly. */
async function insertUpdates(store: Pick<Store, 'campaigns'>, campaignId: string, entries: [string, string, string][]): Promise<void> {
  for (const [createdAt, title, body] of entries) await store.campaigns.insertUpdate({ id: newId('upd'), campaignId, title, body, notify: false, createdAt });
}
