import { createHash } from 'node:crypto';
import { DomainError } from '../errors.js';
import type { Campaign } from '../schemas/campaign.js';
import type { Target } from '../schemas/target.js';
import type { Template } from '../schemas/template.js';
import type { Store } from '../store/index.js';
import type { Clock } from './clock.js';
import { renderLetter, type Signer } from './render-letter.js';
import type { TemplateService } from './templates.js';

/**
 * What the organizer dashboard needs beyond the campaign's stats: how many of a target's
 * queued letters are waiting for its hourly limit rather than for the worker.
 */
export function createDeliveryPanel(deps: { store: Pick<Store, 'outbox' | 'supporters'>; clock: Clock }) {
  const { store, clock } = deps;

  /** Queued letters the worker has deferred under the target's hourly limit (none when the campaign sets no limit). */
  async function throttled(campaign: Pick<Campaign, 'delivery'>, targetId: string, queued: number): Promise<number> {
    if (!campaign.delivery.perTargetPerHour || queued === 0) return 0;
    // The worker gives a letter over the limit a later slot and marks it: counting those marks,
    // not recomputing the limit, keeps the dashboard in step with what the worker will do.
    return Math.min(queued, await store.outbox.throttledFor(targetId, clock.now().toISOString()));
  }

  /** How many people an update mailed now would reach (counted, consenting, not unsubscribed): the confirmation names it. */
  async function updateRecipients(campaignId: string): Promise<number> {
    return (await store.supporters.consenting(campaignId)).length;
  }

  return { throttled, updateRecipients };
}

/**
 * The dashboard's forms. A browser posts flat strings named by the path of the field they fill
 * (`delivery.mode`, `sender.postalAddress.city`), so the API's own schemas validate them and
 * each problem's path names the field it belongs next to. What is written here only turns
 * strings into the shapes the API takes (numbers, lists, nulls for a cleared field); every rule
 * stays in the schemas and domain services.
 */
export type FormValues = Record<string, string>;

/** Blank is absent (or, on an edit, a cleared value: `cleared` is then null). */
const opt = (s: string | undefined, cleared?: null) => (s === undefined || s.trim() === '' ? cleared : s);
/** Whole numbers become numbers; anything else is passed on as typed, for the schema to refuse in its own words. */
const num = (s: string | undefined, cleared?: null) => {
  const t = (s ?? '').trim();
  if (t === '') return cleared;
  return /^-?\d{1,15}$/.test(t) ? Number(t) : t;
};
/** One entry a line, blank lines dropped. */
export const linesOf = (s: string | undefined) => (s ?? '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
/** Codes separated by commas or spaces: "KZ, DE". */
const codesOf = (s: string | undefined) => (s ?? '').split(/[\s,;]+/).filter(Boolean);
/** A datetime-local value ("2026-12-31T18:00") is read as UTC, as the form says; anything else goes to the schema as typed. */
const instantOf = (s: string | undefined, cleared?: null) => {
  const t = (s ?? '').trim();
  if (t === '') return cleared;
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(t)) return `${t}:00Z`;
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(t)) return `${t}Z`;
  return t;
};
const withoutUndefined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function postalAddressOf(f: FormValues, prefix: string) {
  const lines = linesOf(f[`${prefix}.lines`]);
  const city = f[`${prefix}.city`] ?? '';
  const postcode = f[`${prefix}.postcode`] ?? '';
  const country = f[`${prefix}.country`] ?? '';
  if (lines.length === 0 && !city.trim() && !postcode.trim() && !country.trim()) return undefined;
  return withoutUndefined({ lines, city, postcode: opt(postcode), country });
}

/** A campaign form as the API's create (`edit` false) or update body; on an edit a blank optional field clears it. */
export function campaignInput(f: FormValues, edit: boolean): Record<string, unknown> {
  const cleared = edit ? null : undefined;
  const address = postalAddressOf(f, 'sender.postalAddress');
  const senderName = f['sender.name'] ?? '';
  const sender = senderName.trim() || address ? withoutUndefined({ name: senderName, postalAddress: address }) : cleared;
  return withoutUndefined({
    slug: edit ? undefined : (f.slug ?? ''),
    status: edit ? undefined : opt(f.status),
    title: f.title ?? '',
    summary: f.summary ?? '',
    story: opt(f.story, cleared),
    goal: num(f.goal, cleared),
    closesAt: instantOf(f.closesAt, cleared),
    locale: opt(f.locale),
    confirmation: opt(f.confirmation),
    delivery: withoutUndefined({
      mode: f['delivery.mode'] ?? '',
      perTargetPerHour: num(f['delivery.perTargetPerHour']),
      digestEveryMinutes: num(f['delivery.digestEveryMinutes']),
    }),
    rules: withoutUndefined({
      forbiddenPhrases: linesOf(f['rules.forbiddenPhrases']),
      noteMaxLength: num(f['rules.noteMaxLength']),
      guidance: opt(f['rules.guidance']),
    }),
    sender,
  });
}

/** A target form as the API's create or update body. */
export function targetInput(f: FormValues, edit: boolean): Record<string, unknown> {
  const cleared = edit ? null : undefined;
  const countries = codesOf(f.countries);
  return withoutUndefined({
    name: f.name ?? '',
    title: f.title ?? '',
    organization: f.organization ?? '',
    email: opt(f.email, cleared),
    postalAddress: postalAddressOf(f, 'postalAddress') ?? cleared,
    salutation: opt(f.salutation, cleared),
    locale: opt(f.locale, cleared),
    countries: countries.length > 0 ? countries : cleared,
  });
}

export function templateInput(f: FormValues): Record<string, unknown> {
  return withoutUndefined({
    name: f.name ?? '',
    locale: f.locale ?? '',
    subject: f.subject ?? '',
    body: (f.body ?? '').replace(/\r\n/g, '\n'),
    translationOf: opt(f.translationOf, null),
  });
}

export function responseInput(f: FormValues): Record<string, unknown> {
  return { receivedAt: (f.receivedAt ?? '').trim(), channel: f.channel ?? '', summary: f.summary ?? '', public: f.public === 'true', notify: f.notify === 'true' };
}

export function offlineCountInput(f: FormValues): Record<string, unknown> {
  return withoutUndefined({ supporters: num(f.supporters) ?? '', letters: num(f.letters) ?? '', source: f.source ?? '', note: opt(f.note) });
}

const joinLines = (l: readonly string[] | undefined) => (l ?? []).join('\n');
const addressValues = (prefix: string, a: { lines: string[]; city: string; postcode?: string; country: string } | null | undefined): FormValues => ({
  [`${prefix}.lines`]: joinLines(a?.lines),
  [`${prefix}.city`]: a?.city ?? '',
  [`${prefix}.postcode`]: a?.postcode ?? '',
  [`${prefix}.country`]: a?.country ?? '',
});

/** A stored campaign as its form's values (closesAt as the datetime-local value, in UTC). */
export function campaignValues(c: Campaign): FormValues {
  return {
    slug: c.slug,
    status: c.status,
    title: c.title,
    summary: c.summary,
    story: c.story ?? '',
    goal: c.goal === null ? '' : String(c.goal),
    closesAt: c.closesAt ? new Date(c.closesAt).toISOString().slice(0, 16) : '',
    locale: c.locale,
    confirmation: c.confirmation,
    'delivery.mode': c.delivery.mode,
    'delivery.perTargetPerHour': c.delivery.perTargetPerHour === undefined ? '' : String(c.delivery.perTargetPerHour),
    'delivery.digestEveryMinutes': c.delivery.digestEveryMinutes === undefined ? '' : String(c.delivery.digestEveryMinutes),
    'rules.forbiddenPhrases': joinLines(c.rules.forbiddenPhrases),
    'rules.noteMaxLength': String(c.rules.noteMaxLength),
    'rules.guidance': c.rules.guidance ?? '',
    'sender.name': c.sender?.name ?? '',
    ...addressValues('sender.postalAddress', c.sender?.postalAddress),
  };
}

export function targetValues(t: Target): FormValues {
  return {
    name: t.name,
    title: t.title,
    organization: t.organization,
    email: t.email ?? '',
    salutation: t.salutation ?? '',
    locale: t.locale ?? '',
    countries: (t.countries ?? []).join(', '),
    ...addressValues('postalAddress', t.postalAddress),
  };
}

export function templateValues(t: Template): FormValues {
  return { name: t.name, locale: t.locale, subject: t.subject, body: t.body, translationOf: t.translationOf ?? '' };
}

/**
 * The letter a draft of a template would make for a sample supporter and each target, before it
 * is saved: the same rendering path as a real letter (content rules included). A target that
 * reads another language gets the saved translation it would get, as a real letter does.
 */
export async function previewDraft(
  deps: { templates: Pick<TemplateService, 'forTarget'>; clock: Clock },
  campaign: Campaign,
  draft: Pick<Template, 'name' | 'locale' | 'subject' | 'body' | 'translationOf'>,
  saved: Template | undefined,
  targets: readonly Target[],
  signer: Signer,
) {
  const now = deps.clock.now();
  // The draft compiles under a key of its own text: never the cached version of the saved template.
  const version = -Number.parseInt(createHash('sha256').update(`${draft.subject}\n${draft.body}`).digest('hex').slice(0, 12), 16);
  const asTemplate: Template = { ...(saved ?? { id: 'draft', campaignId: campaign.id, createdAt: now.toISOString() }), ...draft, version } as Template;
  return Promise.all(
    targets.map(async (target) => {
      const sent = saved ? await deps.templates.forTarget(saved, target) : asTemplate;
      const template = saved && sent.id !== saved.id ? sent : asTemplate;
      try {
        return { target, locale: template.locale, translated: template !== asTemplate, ...renderLetter(campaign, template, target, signer, now) };
      } catch (err) {
        if (err instanceof DomainError) return { target, locale: template.locale, translated: template !== asTemplate, problem: err.message };
        throw err;
      }
    }),
  );
}
