import { DEFAULT_MAX_BODY_SIZE, SUBGRAPH_MAX_BODY_SIZE } from '../../subgraphs/shared/src/body-limits';
import { MAX_BULK_RECORDS, validateCustomers } from '../../subgraphs/events/src/domain/forex';
import { bulkBody, maximalCustomer } from '../helpers/forex-records';

const megabytes = (limit: string) => {
  const m = /^(\d+)mb$/.exec(limit);
  if (!m) throw new Error(`not a size in mb: ${limit}`);
  return Number(m[1]) * 1024 * 1024;
};

describe('HTTP body limit', () => {
  const records = Array.from({ length: MAX_BULK_RECORDS }, (_, i) => maximalCustomer(i, 'max'));

  it('the maximal records are valid: every field at its limit, nothing over it', () => {
    expect(validateCustomers(records).rejected).toEqual([]);
    const over = { ...records[0], firstName: `${records[0].firstName}😀` };
    expect(validateCustomers([over]).rejected).toEqual([{ index: 0, field: 'firstName', message: 'firstName must be at most 500 characters; got 501' }]);
  });

  it('"Bulk endpoints accept up to 1000 records per request" at "String fields must not exceed 500 characters": the gateway default fits the body with at least 25 % margin', () => {
    const bytes = Buffer.byteLength(bulkBody(records));
    expect(bytes).toBeGreaterThan(17_000_000);
    expect(bytes * 1.25).toBeLessThan(megabytes(DEFAULT_MAX_BODY_SIZE));
    // The subgraphs behind it never refuse what the gateway let through.
    expect(megabytes(DEFAULT_MAX_BODY_SIZE)).toBeLessThan(megabytes(SUBGRAPH_MAX_BODY_SIZE));
  });
});
