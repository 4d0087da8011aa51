/**
 * Every argument and input field of the API that names an object by id (or by a code the
 * tenant chose), with what an id that does not name one of the caller's objects does. One
 * table, so the resolvers, the README's error section and the generated bad-input suite
 * (test/e2e/bad-input.ts) agree; a new id argument of the schema fails that suite until it
 * is classified here.
 *
 * - `reference`: the operation acts on that object. Unknown, another tenant's, or (for a
 *   partner credential) another partner's: `NOT_FOUND` with `param`, nothing written (in a
 *   bulk call, the record is reported in `rejected` and the others are stored).
 * - `signal`: an attribution hint on a fact that happened anyway. A forged, foreign or
 *   unknown value is ignored (the attribution falls to the next signal) and the fact is stored.
 * - `filter`: narrows a list or a stream. Unknown or another tenant's: an empty answer;
 *   another partner's from a partner credential: `FORBIDDEN`.
 * - `key`: the caller's own identifier of a record it creates or upserts (an external id);
 *   never looked up, so never unknown.
 */

export type IdArgumentKind = 'reference' | 'signal' | 'filter' | 'key';

export interface IdArgument {
  kind: IdArgumentKind;
  /** The GraphQL type of the object it names (for `key`, the record it creates). */
  names: string;
  /** Only where the rule has a qualification a reader needs. */
  note?: string;
}

/** Keyed by `Type.field(arg)` for arguments and `Input.field` for input fields. */
export const ID_ARGUMENTS: Readonly<Record<string, IdArgument>> = {
  // Mutations acting on an object.
  'Mutation.approveCommissions(ids)': { kind: 'reference', names: 'Commission', note: 'param ids.<index>; all or nothing' },
  'Mutation.markCommissionsPaid(ids)': { kind: 'reference', names: 'Commission', note: 'param ids.<index>; all or nothing' },
  'Mutation.reverseCommission(id)': { kind: 'reference', names: 'Commission' },
  'Mutation.updateCommissionPlan(id)': { kind: 'reference', names: 'CommissionPlan' },
  'Mutation.assignCommissionPlan(planId)': { kind: 'reference', names: 'CommissionPlan' },
  'Mutation.assignCommissionPlan(partnerId)': { kind: 'reference', names: 'Partner' },
  'Mutation.updateProduct(id)': { kind: 'reference', names: 'Product' },
  'Mutation.updatePostbackEndpoint(id)': { kind: 'reference', names: 'PostbackEndpoint' },
  'Mutation.rotatePostbackSecret(id)': { kind: 'reference', names: 'PostbackEndpoint' },
  'Mutation.deletePostbackEndpoint(id)': { kind: 'reference', names: 'PostbackEndpoint' },
  'Mutation.sendTestPostback(endpointId)': { kind: 'reference', names: 'PostbackEndpoint' },
  'Mutation.redeliverPostback(deliveryId)': { kind: 'reference', names: 'PostbackDelivery' },
  'Mutation.decideKyc(id)': { kind: 'reference', names: 'KycApplication' },
  'Mutation.deactivateReferralCode(code)': { kind: 'reference', names: 'ReferralCode' },
  'Mutation.updatePartner(id)': { kind: 'reference', names: 'Partner' },
  'Mutation.updateReferralCode(partnerId)': { kind: 'reference', names: 'Partner', note: 'default: the calling partner' },
  'CreatePartnerInput.parentId': { kind: 'reference', names: 'Partner' },
  'UpdatePartnerInput.parentId': { kind: 'reference', names: 'Partner' },
  'CreateReferralLinkInput.partnerId': { kind: 'reference', names: 'Partner', note: 'default: the calling partner' },
  'RecordClickInput.linkId': { kind: 'reference', names: 'ReferralLink' },
  'RecordClickInput.slug': { kind: 'reference', names: 'ReferralLink' },
  'StartKycInput.referralCode': { kind: 'reference', names: 'ReferralCode', note: 'a deactivated code too' },
  'TrackEventInput.refundOf': { kind: 'reference', names: 'ReferralEvent', note: 'a payment of the same customer' },
  'TrackEventInput.productId': { kind: 'reference', names: 'Product', note: 'only with eventSettings.refuseUnknownProducts; otherwise stored as given' },
  'ForexTransactionInput.customerId': { kind: 'reference', names: 'Trader', note: 'a bulk record: reported in rejected (index, field), the other records stored' },
  'TradingActivityInput.customerId': { kind: 'reference', names: 'Trader', note: 'a bulk record: reported in rejected (index, field), the other records stored' },
  'CommissionPlanInput.productId': { kind: 'key', names: 'Product', note: 'a plan may be made before its product is in the catalogue' },

  // Reads of one object.
  'Query.partner(id)': { kind: 'reference', names: 'Partner' },
  'Query.referralLink(id)': { kind: 'reference', names: 'ReferralLink' },
  'Query.referralGraph(partnerId)': { kind: 'reference', names: 'Partner', note: 'default: the calling partner' },
  'Query.event(id)': { kind: 'reference', names: 'ReferralEvent' },
  'Query.trader(id)': { kind: 'reference', names: 'Trader' },
  'Query.product(id)': { kind: 'reference', names: 'Product' },
  'Query.postbackEndpoint(id)': { kind: 'reference', names: 'PostbackEndpoint' },
  'Query.kycApplication(id)': { kind: 'reference', names: 'KycApplication' },
  'Query.referralCode(code)': { kind: 'reference', names: 'ReferralCode' },
  'Query.commission(id)': { kind: 'reference', names: 'Commission' },
  'Query.commissionPlan(id)': { kind: 'reference', names: 'CommissionPlan' },
  'Query.validateReferralCode(code)': { kind: 'signal', names: 'ReferralCode', note: 'answers valid: false, never an error' },

  // Attribution signals.
  'TrackEventInput.clickId': { kind: 'signal', names: 'Click' },
  'TrackEventInput.referralCode': { kind: 'signal', names: 'Partner', note: 'an unknown code waits for the code to arrive, then settles once' },
  'ForexCustomerInput.affiliateId': { kind: 'signal', names: 'Partner' },

  // Filters of lists and streams.
  'Query.referralLinks(partnerId)': { kind: 'filter', names: 'Partner' },
  'Query.commissionChanges(partnerId)': { kind: 'filter', names: 'Partner' },
  'Subscription.commissionChanged(partnerId)': { kind: 'filter', names: 'Partner' },
  'ClickFilter.partnerId': { kind: 'filter', names: 'Partner' },
  'ClickFilter.linkId': { kind: 'filter', names: 'ReferralLink' },
  'CommissionFilter.partnerId': { kind: 'filter', names: 'Partner' },
  'ConversionStreamFilter.partnerId': { kind: 'filter', names: 'Partner' },
  'EventFilter.partnerId': { kind: 'filter', names: 'Partner' },
  'EventFilter.traderId': { kind: 'filter', names: 'Trader' },
  'TraderFilter.partnerId': { kind: 'filter', names: 'Partner' },
  'TraderFilter.externalId': { kind: 'filter', names: 'Trader' },
  'ForexTransactionFilter.traderId': { kind: 'filter', names: 'Trader' },
  'ForexTransactionFilter.customerId': { kind: 'filter', names: 'Trader' },
  'PartnerFilter.parentId': { kind: 'filter', names: 'Partner' },
  'PostbackDeliveryFilter.endpointId': { kind: 'filter', names: 'PostbackEndpoint' },
  'PostbackDeliveryFilter.eventId': { kind: 'filter', names: 'ReferralEvent' },
  'KycFilter.userId': { kind: 'filter', names: 'KycApplication' },
  'KycFilter.referralCode': { kind: 'filter', names: 'ReferralCode' },
  'ReferralCodeFilter.userId': { kind: 'filter', names: 'ReferralCode' },
  'ReferralCodeFilter.code': { kind: 'filter', names: 'ReferralCode' },

  // The caller's own identifiers.
  'CreatePartnerInput.externalId': { kind: 'key', names: 'Partner' },
  'UpdatePartnerInput.externalId': { kind: 'key', names: 'Partner' },
  'CreatePartnerInput.referralCode': { kind: 'key', names: 'Partner' },
  'Mutation.updateReferralCode(code)': { kind: 'key', names: 'Partner' },
  'CreateProductInput.id': { kind: 'key', names: 'Product' },
  'CreateReferralCodeInput.referralCode': { kind: 'key', names: 'ReferralCode' },
  'CreateReferralCodeInput.userId': { kind: 'key', names: 'ReferralCode', note: "the owner's externalId; a bonus for an owner not yet a partner is held until it is" },
  'StartKycInput.userId': { kind: 'key', names: 'KycApplication' },
  'TrackEventInput.externalCustomerId': { kind: 'key', names: 'Trader' },
  'ForexCustomerInput.customerId': { kind: 'key', names: 'Trader' },
  'ForexTransactionInput.transactionId': { kind: 'key', names: 'ForexTransaction' },
};
