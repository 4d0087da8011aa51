import { ArgsType, ClassType, Directive, Field, Int, ObjectType } from 'type-graphql';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { badInput } from './errors';

/**
 * Relay connections with opaque cursors. Lists are keyset-paginated on the id, which
 * is a ULID and so sorts by creation time; `first` is 1-100, default 25.
 */

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 25;

@ObjectType({ description: 'Relay page information' })
@Directive('@shareable')
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: PageInfo;
  /** Counted only when the client selects it. */
  count: () => Promise<number>;
}

/** Builds `<Name>Connection` and `<Name>Edge` object types for a node type. */
export function ConnectionType<T extends object>(name: string, nodeType: ClassType<T>) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor: string;

    @Field(() => nodeType)
    node: T;
  }

  @ObjectType(`${name}Connection`)
  class Connection {
    @Field(() => [Edge])
    edges: Edge[];

    @Field(() => [nodeType])
    nodes: T[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    count: () => Promise<number>;

    @Field(() => Int, { description: 'All items matching the filter, across pages' })
    totalCount(): Promise<number> {
      return this.count();
    }
  }
  return Connection as ClassType<Connection> & { new (): Connection & Page<T> };
}

export function validateFirst(first: number | null | undefined, defaultValue = DEFAULT_PAGE_SIZE): number {
  if (first === null || first === undefined) return defaultValue;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(`first must be an integer from 1 to ${MAX_PAGE_SIZE}; got ${first}`, 'first');
  }
  return first;
}

export function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ k: id })).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): string | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed && typeof parsed.k === 'string') return parsed.k;
  } catch {
    // fall through to the error below
  }
  throw badInput('after must be a cursor returned by this list (edges.cursor or pageInfo.endCursor)', 'after');
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: '1-100' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'A cursor from edges.cursor or pageInfo.endCursor' })
  after?: string | null;
}

/**
 * Runs a newest-first keyset page over the query `build` makes (filters and tenant
 * scoping included); `totalCount` re-runs it as a count only when selected.
 */
export async function paginateQuery<T extends ObjectLiteral & { id: string }>(
  build: () => SelectQueryBuilder<T>,
  page: { first?: number | null; after?: string | null },
  defaultFirst = DEFAULT_PAGE_SIZE,
): Promise<Page<T>> {
  const first = validateFirst(page.first, defaultFirst);
  const after = decodeCursor(page.after);
  const qb = build();
  const alias = qb.alias;
  qb.orderBy(`${alias}.id`, 'DESC').take(first + 1);
  if (after) qb.andWhere(`${alias}.id < :pageAfter`, { pageAfter: after });
  return toPage(await qb.getMany(), first, () => build().getCount());
}

/** Shapes `limit + 1` fetched rows into a page. */
export function toPage<T extends { id: string }>(rows: T[], first: number, count: () => Promise<number>): Page<T> {
  const hasNextPage = rows.length > first;
  const nodes = hasNextPage ? rows.slice(0, first) : rows;
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    nodes,
    pageInfo: { hasNextPage, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
    count,
  };
}
