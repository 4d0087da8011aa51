import { badInput, dateParam, Page, PageArgs, paginateQuery, rangeEnd } from '../../../shared/src';
import { ReferralEvent } from '../entities/referral-event.entity';
import { EventsContext } from '../loaders';
import { EventFilter } from './inputs';

/** Newest-first page of the tenant's events matching `filter`; shared by every events list. */
export async function listEvents(ctx: EventsContext, given: EventFilter, page: PageArgs): Promise<Page<ReferralEvent>> {
  const filter = { ...given, to: rangeEnd(given.to) };
  if (filter.from && filter.to && filter.from > filter.to) throw badInput('filter.from must be before filter.to', 'filter.from');
  const ds = ctx.dataSource;
  const build = () => {
    const qb = ds.getRepository(ReferralEvent).createQueryBuilder('e').where('e.tenant_id = :tenantId', { tenantId: ctx.principal.tenantId });
    if (filter.partnerId) qb.andWhere('e.partner_id = :partnerId', { partnerId: filter.partnerId });
    if (filter.eventType) qb.andWhere('e.event_type = :eventType', { eventType: filter.eventType });
    if (filter.traderId) qb.andWhere('e.trader_id = :traderId', { traderId: filter.traderId });
    if (filter.isConversion !== undefined && filter.isConversion !== null) qb.andWhere('e.is_conversion = :conv', { conv: filter.isConversion });
    if (filter.from) qb.andWhere('e.occurred_at >= :from', { from: dateParam(ds, filter.from) });
    if (filter.to) qb.andWhere('e.occurred_at < :to', { to: dateParam(ds, filter.to) });
    return qb;
  };
  return paginateQuery(build, page);
}
