import { MAX_STRING, MAX_TRACKING_DATA } from '../../subgraphs/events/src/domain/forex';

/**
 * The largest Track360 customer record the validator accepts: every string at its limit (500 characters, trackingData
 * 50, an email of 254), every character one that UTF-8 spells in 4 bytes. `i` makes customerId unique within a batch;
 * `prefix` across batches. Its affiliateId names no partner yet (a partner created later picks the customer up).
 */
export function maximalCustomer(i: number, prefix: string, char = '😀') {
  const fill = (n: number) => char.repeat(n);
  const id = `${prefix}_${i}_`;
  return {
    customerId: id + fill(MAX_STRING - id.length),
    signupDate: '2026-03-10T14:30:00.123456789+02:00',
    lastModifiedDate: '2026-03-12T08:22:15.123456789+02:00',
    affiliateId: fill(MAX_STRING),
    trackingData: fill(MAX_TRACKING_DATA),
    langId: 'es',
    countryCode: 'MX',
    kycStatusId: fill(MAX_STRING),
    salesStatusId: fill(MAX_STRING),
    tradingAccountType: fill(MAX_STRING),
    leverage: fill(MAX_STRING),
    firstName: fill(MAX_STRING),
    lastName: fill(MAX_STRING),
    // 254 characters in all: 64 before the @, 185 + ".com" after; unique, as traders are matched by email too.
    email: `${id}${fill(64 - id.length)}@${fill(185)}.com`,
  };
}

export const UPSERT_CUSTOMERS = `mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted created updated rejected { index field message } } }`;

/** The HTTP body of one bulk call of `records`, as a client sends it. */
export function bulkBody(records: unknown[]): string {
  return JSON.stringify({ query: UPSERT_CUSTOMERS, variables: { r: records } });
}
