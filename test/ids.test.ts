import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../src/domain/ids.js';
import { CursorSchema } from '../src/schemas/common.js';

describe('ids', () => {
  it('made in one burst, they sort in the order they were made and stay valid cursors', () => {
    // Far more than one millisecond holds: targets and templates created together keep their order.
    const ids = Array.from({ length: 20_000 }, () => newId('tgt'));
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of [ids[0]!, ids.at(-1)!]) assert.ok(CursorSchema.safeParse(id).success, id);
  });
});
