import type { Params } from './async-sql.js';

export interface Numbered {
  /** The text with `$1…$n` in place of `?` and `@name`. */
  text: string;
  /** Where each `$n`, in order, takes its value from: an index into positional params or a name in named ones. */
  slots: (number | string)[];
  /** How many of the slots are positional. */
  positional: number;
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const nameAt = (sql: string, i: number) => ((NAME.lastIndex = i), NAME.exec(sql)?.[0]);

/**
 * Rewrites SQLite-style placeholders as PostgreSQL's: each `?` takes the next number, each
 * distinct `@name` one number however often it repeats. Quoted strings, quoted identifiers and
 * comments are copied untouched; `::type` casts need no care since `:` is no placeholder here.
 * The SQL the engines share has no E'…' strings or $$-quoting, which this does not read, and
 * no jsonb `?` operators (they would be taken for placeholders: use jsonb_exists()).
 */
export function numberPlaceholders(sql: string): Numbered {
  let text = '';
  const slots: Numbered['slots'] = [];
  const named = new Map<string, number>();
  let positional = 0;
  let i = 0;
  while (i < sql.length) {
    const skipped = endOfQuotedOrComment(sql, i);
    if (skipped > i) {
      text += sql.slice(i, skipped);
      i = skipped;
      continue;
    }
    if (sql[i] === '?') {
      slots.push(positional++);
      text += `$${slots.length}`;
      i++;
      continue;
    }
    const name = sql[i] === '@' ? nameAt(sql, i + 1) : undefined;
    if (name) {
      let n = named.get(name);
      if (n === undefined) {
        slots.push(name);
        named.set(name, (n = slots.length));
      }
      text += `$${n}`;
      i += 1 + name.length;
    } else {
      text += sql[i];
      i++;
    }
  }
  return { text, slots, positional };
}

/** The end of the quoted string, quoted identifier or comment starting at i, or i when none starts there. */
function endOfQuotedOrComment(sql: string, i: number): number {
  const c = sql[i];
  if (c === "'" || c === '"') {
    for (let j = i + 1; ; j += 2) {
      j = sql.indexOf(c, j);
      if (j === -1) return sql.length;
      if (sql[j + 1] !== c) return j + 1; // a doubled quote is the character itself: read on
    }
  }
  if (c === '-' && sql[i + 1] === '-') {
    const j = sql.indexOf('\n', i);
    return j === -1 ? sql.length : j + 1;
  }
  if (c === '/' && sql[i + 1] === '*') {
    const j = sql.indexOf('*/', i + 2);
    return j === -1 ? sql.length : j + 2;
  }
  return i;
}

/** The values for the numbered text, checked as better-sqlite3 checks them (PostgreSQL would bind a missing one as NULL). */
export function bindValues({ slots, positional }: Numbered, params: Params | undefined): unknown[] {
  if (params === undefined || Array.isArray(params)) {
    const values = params ?? [];
    if (positional < slots.length) throw new RangeError('named (@name) parameters need an object of values');
    if (values.length !== positional) throw new RangeError(`the statement takes ${positional} parameters, ${values.length} given`);
    return values;
  }
  if (positional > 0) throw new RangeError('positional (?) parameters need an array of values');
  return slots.map((name) => {
    if (!Object.hasOwn(params, name)) throw new RangeError(`missing named parameter "${name}"`);
    return params[name];
  });
}
