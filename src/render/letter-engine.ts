import Handlebars from 'handlebars';
import type { FieldError } from '../errors.js';

/**
 * Organizers' letter templates are hostile input. They compile in an isolated Handlebars
 * environment with only `if`/`unless`, `strict` lookups, and are checked at save time
 * against the fields API.md allows: anything else (helpers, partials, `@root`, `this`,
 * `../`, prototype names) never reaches `compile`.
 */
export const allowedFields = [
  'supporter.name',
  'supporter.email',
  'supporter.city',
  'supporter.country',
  'supporter.countryName',
  'supporter.note',
  'target.name',
  'target.title',
  'target.organization',
  'target.salutation',
  'campaign.title',
  'date',
] as const;
const allowedFieldSet = new Set<string>(allowedFields);
const allowedBlockHelpers = new Set(['if', 'unless']);

export interface LetterContext {
  supporter: { name: string; email: string; city: string; country: string; countryName: string; note: string };
  target: { name: string; title: string; organization: string; salutation: string };
  campaign: { title: string };
  date: string;
}

const engine = Handlebars.create();
for (const name of Object.keys(engine.helpers)) {
  // helperMissing/blockHelperMissing stay: Handlebars' generated code calls them internally.
  if (!allowedBlockHelpers.has(name) && !name.endsWith('Missing')) engine.unregisterHelper(name);
}

type Node = hbs.AST.Node;

/** Lists every construct in `source` that a letter template may not use; empty means safe. */
export function checkTemplate(source: string, field: string): FieldError[] {
  let ast: hbs.AST.Program;
  try {
    ast = engine.parse(source);
  } catch (err) {
    return [{ path: field, message: `does not compile: ${parseErrorSummary((err as Error).message)}` }];
  }
  const problems = new Set<string>();
  const path = (p: Node): void => {
    if (p.type !== 'PathExpression') {
      problems.add(`literal or expression "${describe(p)}" where a field is expected`);
      return;
    }
    const e = p as hbs.AST.PathExpression;
    const name = e.parts.join('.');
    if (e.data) problems.add(`@${e.original.replace(/^@/, '')} is not allowed`);
    else if (e.depth > 0 || e.original.startsWith('../')) problems.add(`parent path "${e.original}" is not allowed`);
    else if (e.parts.length === 0 || /^(this|\.)(\/|\.|$)/.test(e.original)) problems.add(`"${e.original}" is not allowed`);
    else if (!allowedFieldSet.has(name)) problems.add(`field "${e.original}" is not allowed`);
  };
  const walk = (node: Node | null | undefined): void => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        (node as hbs.AST.Program).body.forEach(walk);
        return;
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        if (m.params.length > 0 || (m.hash && m.hash.pairs.length > 0)) {
          problems.add(`helper "${describe(m.path)}" is not allowed`);
          return;
        }
        path(m.path);
        return;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        const helper = describe(b.path);
        if (!allowedBlockHelpers.has(helper) || b.path.type !== 'PathExpression') {
          problems.add(`helper "${helper}" is not allowed`);
          return;
        }
        if (b.params.length !== 1 || (b.hash && b.hash.pairs.length > 0)) {
          problems.add(`{{#${helper}}} takes exactly one field`);
        }
        b.params.forEach(path);
        walk(b.program);
        walk(b.inverse);
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        problems.add('partials are not allowed');
        return;
      case 'DecoratorBlock':
      case 'Decorator':
        problems.add('decorators are not allowed');
        return;
      default:
        problems.add(`${node.type} is not allowed`);
    }
  };
  walk(ast);
  return [...problems].map((message) => ({ path: field, message }));
}

function describe(node: Node): string {
  if (node.type === 'PathExpression') return (node as hbs.AST.PathExpression).original;
  if ('original' in node) return String((node as { original: unknown }).original);
  return node.type;
}

/** Handlebars' parse errors are "Parse error on line N:", the source, a caret line, then what it expected: keep the first and last. */
function parseErrorSummary(s: string): string {
  const lines = s.split('\n').filter((l) => l.trim() !== '');
  return lines.length > 1 ? `${lines[0]} ${lines.at(-1)}` : (lines[0] ?? s);
}

type Compiled = (ctx: LetterContext) => string;
const cache = new Map<string, Compiled>();
const cacheLimit = 1000;

/**
 * Compiles a template that passed `checkTemplate`, cached by key (template ids are immutable
 * versions, so a key never needs invalidating). Text mode does not HTML-escape: O'Brien stays O'Brien.
 */
export function compileLetter(key: string, source: string, mode: 'text' | 'html' = 'text'): Compiled {
  if (typeof source !== 'string') throw new TypeError('template source must be a string');
  const cacheKey = `${mode}:${key}`;
  let fn = cache.get(cacheKey);
  if (!fn) {
    const problems = checkTemplate(source, key);
    if (problems.length > 0) throw new Error(`unsafe template ${key}: ${problems.map((p) => p.message).join('; ')}`);
    const template = engine.compile<LetterContext>(source, {
      strict: true,
      noEscape: mode === 'text',
      knownHelpers: { if: true, unless: true },
      knownHelpersOnly: true,
    });
    fn = (ctx) =>
      template(ctx, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
    if (cache.size >= cacheLimit) cache.delete(cache.keys().next().value as string);
    cache.set(cacheKey, fn);
  }
  return fn;
}
