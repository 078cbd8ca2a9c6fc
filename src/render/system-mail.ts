import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Chorus's own mail to supporters (templates/emails). These templates are ours, so they use a
 * plain Handlebars instance; every value is data. Text mail is not HTML-escaped.
 */
const dir = fileURLToPath(new URL('../../templates/emails/', import.meta.url));
const engine = Handlebars.create();
const compiled = new Map<string, HandlebarsTemplateDelegate>();

export type SystemMail = 'confirmation' | 'reminder' | 'notice' | 'update';

export function renderSystemMail(name: SystemMail, data: Record<string, string>): string {
  let template = compiled.get(name);
  if (!template) {
    template = engine.compile(readFileSync(`${dir}${name}.txt.hbs`, 'utf8'), { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template(data);
}
