import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  encodeCursor,
  MAX_PAGE_SIZE,
  toPage,
  validateFirst,
} from '../../subgraphs/shared/src/connection';
import { errorOf } from '../helpers/errors';


describe('page size (first)', () => {
  it('defaults to 25 when not given', () => {
    expect(DEFAULT_PAGE_SIZE).toBe(25);
    expect(MAX_PAGE_SIZE).toBe(100);
    expect(validateFirst(undefined)).toBe(25);
    expect(validateFirst(null)).toBe(25);
  });

  it('uses the caller default when given', () => {
    expect(validateFirst(undefined, 10)).toBe(10);
    expect(validateFirst(null, 50)).toBe(50);
  });

  it('accepts 1 and 100', () => {
    expect(validateFirst(1)).toBe(1);
    expect(validateFirst(100)).toBe(100);
    expect(validateFirst(37, 10)).toBe(37);
  });

  it.each([0, 101, -1, 2.5, NaN])('refuses %p with BAD_USER_INPUT on param first', (first) => {
    const err = errorOf(() => validateFirst(first));
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('first');
    expect(err.message).toContain('1');
    expect(err.message).toContain('100');
    expect(err.message).toMatch(/from 1 to 100/);
  });
});

describe('cursors', () => {
  it('round-trip an id', () => {
    const id = 'prt_01JABCDEFGHJKMNPQRSTVWXYZ0';
    const cursor = encodeCursor(id);
    expect(cursor).not.toContain(id); // opaque
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/); // URL-safe, no padding
    expect(decodeCursor(cursor)).toBe(id);
  });

  it('round-trip ids with unusual characters', () => {
    for (const id of ['', 'a"b', 'évt_ü', 'x/y+z=']) expect(decodeCursor(encodeCursor(id))).toBe(id);
  });

  it('treat a missing cursor as the first page', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor(null)).toBeUndefined();
  });

  it.each([
    ['not base64 JSON', '!!!not-a-cursor!!!'],
    ['base64 of plain text', Buffer.from('hello').toString('base64url')],
    ['JSON without k', Buffer.from(JSON.stringify({ id: 'x' })).toString('base64url')],
    ['JSON with numeric k', Buffer.from(JSON.stringify({ k: 5 })).toString('base64url')],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['empty string', ''],
  ])('refuse a malformed cursor (%s) with BAD_USER_INPUT on param after', (_label, cursor) => {
    const err = errorOf(() => decodeCursor(cursor));
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('after');
  });
});

describe('toPage', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `id_${i}` }));

  it('with first + 1 rows: has a next page and drops the extra row', () => {
    const page = toPage(rows(4), 3, async () => 99);
    expect(page.nodes.map((n) => n.id)).toEqual(['id_0', 'id_1', 'id_2']);
    expect(page.edges.map((e) => e.node.id)).toEqual(['id_0', 'id_1', 'id_2']);
    expect(page.edges.map((e) => decodeCursor(e.cursor))).toEqual(['id_0', 'id_1', 'id_2']);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.pageInfo.endCursor).toBe(encodeCursor('id_2'));
    expect(decodeCursor(page.pageInfo.endCursor)).toBe('id_2');
  });

  it('with exactly first rows: no next page, cursor on the last row', () => {
    const page = toPage(rows(3), 3, async () => 3);
    expect(page.nodes).toHaveLength(3);
    expect(page.pageInfo.hasNextPage).toBe(false);
    expect(decodeCursor(page.pageInfo.endCursor)).toBe('id_2');
  });

  it('with zero rows: no next page and a null end cursor', () => {
    const page = toPage([], 25, async () => 0);
    expect(page.nodes).toEqual([]);
    expect(page.edges).toEqual([]);
    expect(page.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('counts lazily: the count runs only when asked', async () => {
    const count = jest.fn(async () => 42);
    const page = toPage(rows(2), 1, count);
    expect(count).not.toHaveBeenCalled();
    await expect(page.count()).resolves.toBe(42);
    expect(count).toHaveBeenCalledTimes(1);
  });
});
