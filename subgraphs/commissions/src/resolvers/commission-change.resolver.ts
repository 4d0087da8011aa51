import { GraphQLError } from 'graphql';
import { Arg, Ctx, ID, Int, Query, Resolver, Root, Subscription } from 'type-graphql';
import { ConnectionType, forbidden, requireScope, scopedPartnerId, validateFirst } from '../../../shared/src';
import { CommissionChangeKind, decodeChangeCursor, encodeChangeCursor } from '../domain/change-log';
import { CommissionChange } from '../entities/commission-change.entity';
import { ChangeFilter, changeHead, changePage, changeQuery, changeStream, LiveFeed, toCommissionChange } from '../live/change-stream';
import { CommissionsContext } from '../loaders';

export const CommissionChangeConnection = ConnectionType('CommissionChange', CommissionChange);

type Context = CommissionsContext & { live?: LiveFeed };

interface SubscribeArgs {
  after?: string | null;
  partnerId?: string | null;
  changes?: string[] | null;
}

/**
 * Referrer notifications: the tenant's commission change log, live (`commissionChanged`,
 * over graphql-ws through the gateway) or page by page (`commissionChanges`). A partner
 * principal only ever sees its own partner's changes.
 */
@Resolver(() => CommissionChange)
export class CommissionChangeResolver {
  @Subscription(() => CommissionChange, {
    description:
      "Changes of the tenant's commissions as they are logged: CREATED, APPROVED, REVERSED, ADJUSTED, PAID. A partner credential receives its own partner's only. With after (a CommissionChange.cursor, or commissionChanges' pageInfo.endCursor) it first replays every matching change logged after it, in order, then continues live with no gap or repeat. Scope commissions:read.",
    subscribe: ({ args, context }) => {
      const ctx = context as Context;
      const { after, partnerId, changes } = args as SubscribeArgs;
      requireScope(ctx, 'commissions:read');
      const own = ctx.principal.partnerId;
      if (own && partnerId && partnerId !== own) throw forbidden("a partner credential only receives its own partner's commission changes", 'partner_scope');
      if (!ctx.live) throw new GraphQLError('live commission changes are not served here');
      return changeStream({
        ds: ctx.dataSource,
        live: ctx.live,
        tenantId: ctx.principal.tenantId,
        filter: { partnerId: own ?? partnerId ?? null, changes: changes ?? null },
        afterPosition: after ? decodeChangeCursor(after) : null,
      });
    },
  })
  commissionChanged(
    @Root() change: CommissionChange,
    @Arg('after', () => String, { nullable: true, description: 'Resume after this CommissionChange.cursor' }) _after: string | null,
    @Arg('partnerId', () => ID, { nullable: true, description: 'Only this partner (a partner credential always gets its own)' }) _partnerId: string | null,
    @Arg('changes', () => [CommissionChangeKind], { nullable: true, description: 'Only these kinds of change (default: all)' }) _changes: CommissionChangeKind[] | null,
  ): CommissionChange {
    return change;
  }

  @Query(() => CommissionChangeConnection, {
    description:
      "The commission change log in order, oldest first, without a socket: the changes after `after`. pageInfo.endCursor is where to continue: the last change of the page, or, on the last page, the end of the log when it was read (so commissionChanged(after: endCursor) misses nothing). A partner credential reads its own partner's changes. Scope commissions:read.",
  })
  async commissionChanges(
    @Arg('after', () => String, { nullable: true, description: 'A CommissionChange.cursor or a previous pageInfo.endCursor' }) after: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 25, description: '1-100' }) first: number | null,
    @Arg('partnerId', () => ID, { nullable: true, description: 'Only this partner (a partner credential always gets its own)' }) partnerId: string | null,
    @Arg('changes', () => [CommissionChangeKind], { nullable: true, description: 'Only these kinds of change (default: all)' }) changes: CommissionChangeKind[] | null,
    @Ctx() ctx: Context,
  ) {
    requireScope(ctx, 'commissions:read');
    const limit = validateFirst(first);
    const from = after ? decodeChangeCursor(after) : 0;
    const filter: ChangeFilter = { partnerId: scopedPartnerId(ctx, partnerId, 'partnerId') ?? null, changes };
    const { dataSource: ds, principal } = ctx;
    // The head first: every position up to it is committed, so the page below sees all of them.
    const head = await changeHead(ds, principal.tenantId);
    const rows = from < head ? await changePage(ds, principal.tenantId, filter, from, head + 1, limit + 1) : [];
    const hasNextPage = rows.length > limit;
    const nodes = rows.slice(0, limit).map(toCommissionChange);
    const end = hasNextPage ? Number(rows[limit - 1].position) : Math.max(from, head);
    return {
      edges: nodes.map((node) => ({ cursor: node.cursor, node })),
      nodes,
      // Always a cursor, even for an empty log: subscribing after it replays whatever comes next.
      pageInfo: { hasNextPage, endCursor: encodeChangeCursor(end) },
      count: () => changeQuery(ds, principal.tenantId, filter).getCount(),
    };
  }
}
