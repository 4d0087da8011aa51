import { IsNull } from 'typeorm';
import { Fact, SubgraphRuntime } from '../../../shared/src';
import { Trader } from '../entities/trader.entity';
import { AttributionMethod, EventType } from '../domain/event-types';
import { PartnerRef } from '../entities/referral-code-owner.entity';
import { recordEvent } from '../services/track-event';

interface KycApproved {
  application: { id: string; userId: string; email: string | null; name: string | null; country: string | null; decidedAt: string };
  referralCode: { id: string; code: string; ownerUserId: string } | null;
}

/**
 * A KYC approval becomes a KYC_COMPLETED event for the verified user, attributed by
 * REFERRAL_CODE to the code's owner (the partner whose externalId is the code's userId).
 * Exactly once: the inbox row and the event commit together, and the event carries an
 * idempotency key of the application.
 */
export function startKycConsumer(runtime: SubgraphRuntime, clickIdSecrets: string[]): void {
  runtime.consume({
    group: 'events.kyc-approved',
    types: ['kyc.approved'],
    handler: (fact: Fact) =>
      runtime.outbox
        .consume('events.kyc-approved', fact, async (m, emit) => {
          const { application: app, referralCode } = fact.payload as KycApproved;
          const owner = referralCode ? await m.getRepository(PartnerRef).findOneBy({ tenantId: fact.tenantId, externalId: referralCode.ownerUserId }) : null;
          const event = await recordEvent(
            m,
            emit,
            fact.tenantId,
            {
              eventType: EventType.KYC_COMPLETED,
              email: app.email,
              name: app.name,
              externalCustomerId: app.userId,
              occurredAt: new Date(app.decidedAt),
              // Owner not known here yet: attribute by the code, PENDING until the code's facts arrive.
              ...(referralCode && !owner ? { referralCode: referralCode.code } : {}),
            },
            {
              source: 'kyc',
              idempotencyKey: `kyc:${app.id}`,
              clickIdSecrets,
              ...(owner ? { attribution: { method: AttributionMethod.REFERRAL_CODE, partnerId: owner.partnerId } } : {}),
            },
          );
          if (event.traderId) {
            const traders = m.getRepository(Trader);
            await traders.update({ id: event.traderId }, { kycStatus: 'approved' });
            if (app.country) await traders.update({ id: event.traderId, country: IsNull() }, { country: app.country });
          }
        })
        .then(() => undefined),
  });
}
