import { EventType } from '../../subgraphs/events/src/domain/event-types';
import {
  activityDelta,
  ActivityAmounts,
  DerivedEventType,
  deriveTransactionEvents,
  ForexCustomerInput,
  ForexTransactionInput,
  MAX_BULK_RECORDS,
  RecordError,
  TradingActivityInput,
  TRANSACTION_TYPES,
  TransactionState,
  validateCustomers,
  validateTradingActivity,
  validateTransactions,
} from '../../subgraphs/events/src/domain/forex';

// The seed's sample payloads, camelCased, numbers as the Decimal scalar hands them over.
const SAMPLE_CUSTOMER: ForexCustomerInput = {
  customerId: 'tdr_50321',
  signupDate: '2026-03-10T14:30:00Z',
  lastModifiedDate: '2026-03-12T08:22:15Z',
  firstName: 'Maria',
  lastName: 'S',
  email: 'maria.s@example.com',
  affiliateId: 'ib_1045',
  trackingData: '2001_1000_abcdefg',
  langId: 'es',
  countryCode: 'MX',
  kycStatusId: 'approved',
  salesStatusId: 'converted',
  tradingAccountType: 'ECN',
  leverage: '1:200',
};

const SAMPLE_TRANSACTION: ForexTransactionInput = {
  transactionId: 'txn_fx_440012',
  customerId: 'tdr_50321',
  transactionType: 'deposit',
  transactionSubtype: 'wire',
  amountCurrency: '5000',
  amountUsd: '5000',
  currency: 'USD',
  transactionDate: '2026-03-12T10:45:00Z',
  status: 'approved',
  note: 'initial funding',
};

const SAMPLE_ACTIVITY: TradingActivityInput = {
  date: '2026-03-15',
  customerId: 'tdr_50321',
  instrument: 'EURUSD',
  lotsTraded: '12.5',
  volumeUsd: '1562500',
  spreadCost: '37.5',
  commission: '25',
  pnl: '-142.3',
  currency: 'USD',
};

const customer = (over: ForexCustomerInput = {}): ForexCustomerInput => ({ ...SAMPLE_CUSTOMER, ...over });
const transaction = (over: ForexTransactionInput = {}): ForexTransactionInput => ({ ...SAMPLE_TRANSACTION, ...over });
const activity = (over: TradingActivityInput = {}): TradingActivityInput => ({ ...SAMPLE_ACTIVITY, ...over });

const chars = (n: number, c = 'x') => c.repeat(n);

type Expected = [field: string | null, message: RegExp];

/** The errors of a one-record batch, asserting it was rejected. */
function expectErrors(result: { valid: unknown[]; rejected: RecordError[] }, expected: Expected[]): void {
  expect(result.valid).toEqual([]);
  expect(result.rejected).toEqual(expected.map(([field, message]) => ({ index: 0, field, message: expect.stringMatching(message) })));
}

describe('forex customers', () => {
  it('accepts the seed sample and returns it typed', () => {
    const { valid, rejected } = validateCustomers([customer()]);
    expect(rejected).toEqual([]);
    expect(valid).toEqual([
      {
        index: 0,
        record: {
          customerId: 'tdr_50321',
          signupDate: new Date('2026-03-10T14:30:00.000Z'),
          lastModifiedDate: new Date('2026-03-12T08:22:15.000Z'),
          affiliateId: 'ib_1045',
          trackingData: '2001_1000_abcdefg',
          langId: 'es',
          countryCode: 'MX',
          kycStatusId: 'approved',
          salesStatusId: 'converted',
          tradingAccountType: 'ECN',
          leverage: '1:200',
          firstName: 'Maria',
          lastName: 'S',
          email: 'maria.s@example.com',
        },
      },
    ]);
  });

  it('accepts only the required fields, optional ones null or omitted', () => {
    const { valid, rejected } = validateCustomers([
      { customerId: 'c1', signupDate: '2026-03-10T14:30:00Z', affiliateId: 'ib_1', trackingData: 't' },
      { customerId: 'c2', signupDate: '2026-03-10T14:30:00Z', affiliateId: 'ib_1', trackingData: 't', langId: null, email: null, lastModifiedDate: null },
    ]);
    expect(rejected).toEqual([]);
    expect(valid[0].record).toEqual({
      customerId: 'c1',
      signupDate: new Date('2026-03-10T14:30:00Z'),
      lastModifiedDate: null,
      affiliateId: 'ib_1',
      trackingData: 't',
      langId: null,
      countryCode: null,
      kycStatusId: null,
      salesStatusId: null,
      tradingAccountType: null,
      leverage: null,
      firstName: null,
      lastName: null,
      email: null,
    });
    expect(valid[1].record.email).toBeNull();
  });

  it('accepts the edges of every rule', () => {
    const { rejected, valid } = validateCustomers([
      customer({ customerId: 'a', trackingData: chars(50) }),
      customer({ customerId: 'b', firstName: chars(500), lastName: chars(500), leverage: chars(500), kycStatusId: chars(500), salesStatusId: chars(500), tradingAccountType: chars(500), affiliateId: chars(500) }),
      // 500 characters of 2 UTF-16 units each: characters are counted, as JSON Schema and the column count them.
      customer({ customerId: 'c', firstName: chars(500, '😀'), trackingData: chars(50, '😀') }),
      customer({ customerId: 'd', signupDate: '2028-02-29T23:59:59.123456789+05:30', lastModifiedDate: '2026-03-12T08:22-03:00' }),
      customer({ customerId: chars(500) }),
    ]);
    expect(rejected).toEqual([]);
    expect(valid).toHaveLength(5);
    // Offsets are applied and sub-millisecond fractions truncated.
    expect(valid[3].record.signupDate.toISOString()).toBe('2028-02-29T18:29:59.123Z');
    expect(valid[3].record.lastModifiedDate!.toISOString()).toBe('2026-03-12T11:22:00.000Z');
  });

  it.each<[string, ForexCustomerInput, string, RegExp]>([
    ['customerId missing', { customerId: null }, 'customerId', /^customerId is required$/],
    ['customerId empty', { customerId: '' }, 'customerId', /^customerId is required and must not be empty$/],
    ['customerId blank', { customerId: '   ' }, 'customerId', /^customerId is required and must not be empty$/],
    ['customerId too long', { customerId: chars(501) }, 'customerId', /^customerId must be at most 500 characters; got 501$/],
    ['signupDate missing', { signupDate: undefined }, 'signupDate', /^signupDate is required$/],
    ['signupDate empty', { signupDate: '' }, 'signupDate', /^signupDate is required and must not be empty$/],
    ['signupDate a date only', { signupDate: '2026-03-10' }, 'signupDate', /^signupDate must be an ISO 8601 date-time with a time zone \(Z or ±hh:mm\)/],
    ['signupDate without a zone', { signupDate: '2026-03-10T14:30:00' }, 'signupDate', /ISO 8601 date-time with a time zone.*got "2026-03-10T14:30:00"$/],
    ['signupDate not ISO', { signupDate: 'March 10, 2026' }, 'signupDate', /must be an ISO 8601 date-time/],
    ['signupDate 30 February', { signupDate: '2026-02-30T10:00:00Z' }, 'signupDate', /^signupDate must be a real date and time; got "2026-02-30T10:00:00Z"$/],
    ['signupDate 29 February of a common year', { signupDate: '2026-02-29T10:00:00Z' }, 'signupDate', /must be a real date and time/],
    ['signupDate month 13', { signupDate: '2026-13-01T10:00:00Z' }, 'signupDate', /must be a real date and time/],
    ['signupDate hour 24', { signupDate: '2026-03-10T24:00:00Z' }, 'signupDate', /must be a real date and time/],
    ['signupDate minute 60', { signupDate: '2026-03-10T10:60:00Z' }, 'signupDate', /must be a real date and time/],
    ['signupDate offset +25:00', { signupDate: '2026-03-10T10:00:00+25:00' }, 'signupDate', /must be a real date and time/],
    ['lastModifiedDate not a date-time', { lastModifiedDate: 'yesterday' }, 'lastModifiedDate', /^lastModifiedDate must be an ISO 8601 date-time/],
    ['lastModifiedDate 31 April', { lastModifiedDate: '2026-04-31T00:00:00Z' }, 'lastModifiedDate', /^lastModifiedDate must be a real date and time/],
    ['affiliateId missing', { affiliateId: null }, 'affiliateId', /^affiliateId is required$/],
    ['affiliateId empty', { affiliateId: '' }, 'affiliateId', /^affiliateId is required and must not be empty$/],
    ['affiliateId too long', { affiliateId: chars(501) }, 'affiliateId', /^affiliateId must be at most 500 characters/],
    ['trackingData missing', { trackingData: null }, 'trackingData', /^trackingData is required$/],
    ['trackingData empty', { trackingData: '' }, 'trackingData', /^trackingData is required and must not be empty$/],
    ['trackingData 51 characters', { trackingData: chars(51) }, 'trackingData', /^trackingData must be 1-50 characters; got 51$/],
    ['langId in capitals', { langId: 'ES' }, 'langId', /^langId must be an ISO 639-1 language code in lower case such as es or en; got "ES"$/],
    ['langId three letters', { langId: 'spa' }, 'langId', /^langId must be an ISO 639-1 language code/],
    ['langId empty', { langId: '' }, 'langId', /^langId must be an ISO 639-1 language code/],
    ['lang_id ISO 639-1 two-letter code: xx is no language', { langId: 'xx' }, 'langId', /^langId must be an ISO 639-1 language code in lower case such as es or en; got "xx"$/],
    ['countryCode lower case', { countryCode: 'mx' }, 'countryCode', /^countryCode must be an ISO 3166-1 alpha-2 country code in capitals such as MX or GB; got "mx"$/],
    ['countryCode alpha-3', { countryCode: 'MEX' }, 'countryCode', /^countryCode must be an ISO 3166-1 alpha-2 country code/],
    ['country_code ISO 3166-1 alpha-2: XX is no country', { countryCode: 'XX' }, 'countryCode', /^countryCode must be an ISO 3166-1 alpha-2 country code in capitals such as MX or GB; got "XX"$/],
    ['country_code ISO 3166-1 alpha-2: ZZ is no country', { countryCode: 'ZZ' }, 'countryCode', /^countryCode must be an ISO 3166-1 alpha-2 country code/],
    ['kycStatusId too long', { kycStatusId: chars(501) }, 'kycStatusId', /^kycStatusId must be at most 500 characters/],
    ['salesStatusId too long', { salesStatusId: chars(501) }, 'salesStatusId', /^salesStatusId must be at most 500 characters/],
    ['tradingAccountType too long', { tradingAccountType: chars(501) }, 'tradingAccountType', /^tradingAccountType must be at most 500 characters/],
    ['leverage too long', { leverage: chars(501) }, 'leverage', /^leverage must be at most 500 characters/],
    ['firstName too long', { firstName: chars(501) }, 'firstName', /^firstName must be at most 500 characters/],
    ['lastName too long', { lastName: chars(501) }, 'lastName', /^lastName must be at most 500 characters/],
    ['email without @', { email: 'maria.example.com' }, 'email', /^email must be a valid email address such as jane@example.com/],
    ['email without a domain suffix', { email: 'maria@example' }, 'email', /^email must be a valid email address/],
    ['email with a space', { email: 'maria s@example.com' }, 'email', /^email must be a valid email address/],
    ['email empty', { email: '' }, 'email', /^email must be a valid email address/],
    ['email longer than deliverable', { email: `${chars(250)}@example.com` }, 'email', /^email must be a valid email address.*at most 254 characters/],
  ])('%s', (_name, over, field, message) => {
    expectErrors(validateCustomers([customer(over)]), [[field, message]]);
  });

  it('reports every violation of a record, in field order', () => {
    expectErrors(validateCustomers([{ customerId: '', signupDate: '2026-02-30T00:00:00Z', trackingData: chars(60), langId: 'EN', countryCode: 'usa', email: 'nope' }]), [
      ['customerId', /is required and must not be empty/],
      ['signupDate', /real date and time/],
      ['affiliateId', /^affiliateId is required$/],
      ['trackingData', /1-50 characters/],
      ['langId', /ISO 639-1/],
      ['countryCode', /ISO 3166-1/],
      ['email', /valid email address/],
    ]);
  });

  it('a null entry is rejected on its own', () => {
    const { valid, rejected } = validateCustomers([null as unknown as ForexCustomerInput, customer()]);
    expect(rejected).toEqual([{ index: 0, field: null, message: 'record must be an object' }]);
    expect(valid.map((v) => v.index)).toEqual([1]);
  });
});

describe('forex transactions', () => {
  it('accepts the seed sample and returns it typed', () => {
    const { valid, rejected } = validateTransactions([transaction()]);
    expect(rejected).toEqual([]);
    expect(valid).toEqual([
      {
        index: 0,
        record: {
          transactionId: 'txn_fx_440012',
          customerId: 'tdr_50321',
          transactionType: 'deposit',
          transactionSubtype: 'wire',
          amountCurrency: '5000',
          amountUsd: '5000',
          currency: 'USD',
          transactionDate: new Date('2026-03-12T10:45:00Z'),
          status: 'approved',
          note: 'initial funding',
        },
      },
    ]);
  });

  it('accepts every transaction type, negative and zero amounts, and optional fields absent', () => {
    const records = TRANSACTION_TYPES.map((transactionType, i) => transaction({ transactionId: `t${i}`, transactionType }));
    records.push({ transactionId: 'adj', customerId: 'c', transactionType: 'adjustment', amountCurrency: '-50.25', currency: 'EUR', transactionDate: '2026-03-12T10:45:00+01:00', status: 'approved' });
    records.push(transaction({ transactionId: 'zero', amountCurrency: '0', amountUsd: null, transactionSubtype: null, note: null }));
    const { valid, rejected } = validateTransactions(records);
    expect(rejected).toEqual([]);
    expect(valid.map((v) => v.record.transactionType)).toEqual([...TRANSACTION_TYPES, 'adjustment', 'deposit']);
    expect(valid[6].record).toMatchObject({ amountCurrency: '-50.25', amountUsd: null, transactionSubtype: null, note: null });
    expect(valid[6].record.transactionDate.toISOString()).toBe('2026-03-12T09:45:00.000Z');
  });

  it('lower-cases the status, keeping any value the partner documents', () => {
    const { valid } = validateTransactions([
      transaction({ transactionId: 'a', status: 'APPROVED' }),
      transaction({ transactionId: 'b', status: 'Pending' }),
      transaction({ transactionId: 'c', status: 'on_hold_compliance' }),
      transaction({ transactionId: 'd', status: chars(50, 'X') }),
    ]);
    expect(valid.map((v) => v.record.status)).toEqual(['approved', 'pending', 'on_hold_compliance', chars(50, 'x')]);
  });

  it('canonicalises amounts; trailing zeros are not decimal places', () => {
    const { valid, rejected } = validateTransactions([
      transaction({ transactionId: 'a', amountCurrency: '5000.00', amountUsd: '5000.000' }),
      transaction({ transactionId: 'b', amountCurrency: '12.50', amountUsd: '13.5123' }),
      transaction({ transactionId: 'c', amountCurrency: '1234567890123.45', amountUsd: '123456789012345' }),
      transaction({ transactionId: 'd', amountCurrency: '-0' }),
    ]);
    expect(rejected).toEqual([]);
    expect(valid.map((v) => [v.record.amountCurrency, v.record.amountUsd])).toEqual([
      ['5000', '5000'],
      ['12.5', '13.5123'],
      ['1234567890123.45', '123456789012345'],
      ['0', '5000'],
    ]);
  });

  it.each<[string, ForexTransactionInput, string, RegExp]>([
    ['transactionId missing', { transactionId: null }, 'transactionId', /^transactionId is required$/],
    ['transactionId empty', { transactionId: '' }, 'transactionId', /^transactionId is required and must not be empty$/],
    ['transactionId too long', { transactionId: chars(501) }, 'transactionId', /^transactionId must be at most 500 characters/],
    ['customerId missing', { customerId: undefined }, 'customerId', /^customerId is required$/],
    ['customerId empty', { customerId: '' }, 'customerId', /^customerId is required and must not be empty$/],
    ['transactionType missing', { transactionType: null }, 'transactionType', /^transactionType is required$/],
    ['transactionType capitalised', { transactionType: 'Deposit' }, 'transactionType', /^transactionType must be one of deposit, withdrawal, bonus, adjustment, ib_rebate, other; got "Deposit"$/],
    ['transactionType unknown', { transactionType: 'refund' }, 'transactionType', /^transactionType must be one of deposit, withdrawal, bonus, adjustment, ib_rebate, other/],
    ['transactionSubtype too long', { transactionSubtype: chars(501) }, 'transactionSubtype', /^transactionSubtype must be at most 500 characters/],
    ['amountCurrency missing', { amountCurrency: null }, 'amountCurrency', /^amountCurrency is required$/],
    ['amountCurrency 3 decimal places', { amountCurrency: '12.345' }, 'amountCurrency', /^amountCurrency must have at most 2 decimal places; got 3$/],
    ['amountCurrency 16 significant digits', { amountCurrency: '1234567890123456' }, 'amountCurrency', /^amountCurrency must have at most 15 significant digits; got 16$/],
    ['amountCurrency not a number', { amountCurrency: 'abc' }, 'amountCurrency', /^amountCurrency must be a decimal number, as a JSON number \(12.5\) or a string \("12.5"\); got "abc"$/],
    ['amountCurrency a boolean', { amountCurrency: true }, 'amountCurrency', /^amountCurrency must be a decimal number, as a JSON number \(12.5\) or a string \("12.5"\); got true$/],
    ['amountCurrency 10.5 JPY: more decimals than the currency has', { amountCurrency: '10.5', currency: 'JPY' }, 'amountCurrency', /^amountCurrency must have no decimals in JPY \(its ISO 4217 minor unit\); got 10.5$/],
    ['amountCurrency exponent notation', { amountCurrency: '1e1000000000' }, 'amountCurrency', /^amountCurrency must be a decimal number/],
    ['amountUsd 16 significant digits', { amountUsd: '1234567890123.456' }, 'amountUsd', /^amountUsd must have at most 15 significant digits; got 16$/],
    ['amountUsd 16 significant digits (small)', { amountUsd: '0.1234567890123456' }, 'amountUsd', /^amountUsd must have at most 15 significant digits/],
    ['currency missing', { currency: null }, 'currency', /^currency is required$/],
    ['currency lower case', { currency: 'usd' }, 'currency', /^currency must be an ISO 4217 code of three capital letters such as USD or EUR; got "usd"$/],
    ['currency two letters', { currency: 'US' }, 'currency', /^currency must be an ISO 4217 code of three capital letters/],
    ['currency not a real code', { currency: 'XYZ' }, 'currency', /^currency must be an ISO 4217 currency code; XYZ is not one$/],
    ['transactionDate missing', { transactionDate: null }, 'transactionDate', /^transactionDate is required$/],
    ['transactionDate without a zone', { transactionDate: '2026-03-12T10:45:00' }, 'transactionDate', /^transactionDate must be an ISO 8601 date-time with a time zone/],
    ['transactionDate with a space', { transactionDate: '2026-03-12 10:45:00Z' }, 'transactionDate', /^transactionDate must be an ISO 8601 date-time/],
    ['transactionDate 30 February', { transactionDate: '2026-02-30T10:45:00Z' }, 'transactionDate', /^transactionDate must be a real date and time/],
    ['status missing', { status: null }, 'status', /^status is required$/],
    ['status empty', { status: '' }, 'status', /^status is required and must not be empty$/],
    ['status 51 characters', { status: chars(51) }, 'status', /^status must be at most 50 characters; got 51$/],
    ['note 501 characters', { note: chars(501) }, 'note', /^note must be at most 500 characters; got 501$/],
  ])('%s', (_name, over, field, message) => {
    expectErrors(validateTransactions([transaction(over)]), [[field, message]]);
  });

  it('reports every violation of a record, two on one field when it breaks two rules', () => {
    expectErrors(
      validateTransactions([{ transactionId: '', customerId: 'c', transactionType: 'refund', amountCurrency: '12345678901234.567', currency: 'usd', transactionDate: '2026-03-12', status: null, note: chars(501) }]),
      [
        ['transactionId', /required/],
        ['transactionType', /must be one of/],
        ['amountCurrency', /15 significant digits; got 17/],
        ['amountCurrency', /2 decimal places; got 3/],
        ['currency', /three capital letters/],
        ['transactionDate', /ISO 8601 date-time/],
        ['status', /^status is required$/],
        ['note', /at most 500/],
      ],
    );
  });

  it('an empty record gets one error per required field', () => {
    const { rejected } = validateTransactions([{}]);
    expect(rejected.map((e) => e.field)).toEqual(['transactionId', 'customerId', 'transactionType', 'amountCurrency', 'currency', 'transactionDate', 'status']);
    expect(rejected.every((e) => e.index === 0 && / is required$/.test(e.message))).toBe(true);
  });
});

describe('forex trading activity', () => {
  it('accepts the seed sample and returns it typed', () => {
    const { valid, rejected } = validateTradingActivity([activity()]);
    expect(rejected).toEqual([]);
    expect(valid).toEqual([
      {
        index: 0,
        record: {
          date: '2026-03-15',
          customerId: 'tdr_50321',
          instrument: 'EURUSD',
          lotsTraded: '12.5',
          volumeUsd: '1562500',
          spreadCost: '37.5',
          commission: '25',
          pnl: '-142.3',
          currency: 'USD',
        },
      },
    ]);
  });

  it('accepts zero, only the required fields, and a leap day', () => {
    const { valid, rejected } = validateTradingActivity(
      [
        { date: '2028-02-29', customerId: 'c', instrument: 'XAUUSD', lotsTraded: '0', currency: 'USD' },
        activity({ instrument: 'US500', lotsTraded: '0.01', volumeUsd: '0', spreadCost: '0', commission: '0', pnl: '0' }),
        activity({ instrument: 'GBPUSD', lotsTraded: '-0', pnl: '123456789012.345' }),
      ],
      new Date('2028-02-29T12:00:00Z'),
    );
    expect(rejected).toEqual([]);
    expect(valid[0].record).toEqual({ date: '2028-02-29', customerId: 'c', instrument: 'XAUUSD', lotsTraded: '0', volumeUsd: null, spreadCost: null, commission: null, pnl: null, currency: 'USD' });
    expect(valid[2].record.lotsTraded).toBe('0');
  });

  it.each<[string, TradingActivityInput, string, RegExp]>([
    ['date missing', { date: null }, 'date', /^date is required$/],
    ['date not zero-padded', { date: '2026-3-15' }, 'date', /^date must be a date YYYY-MM-DD, e.g. 2026-03-15; got "2026-3-15"$/],
    ['date with a time', { date: '2026-03-15T00:00:00Z' }, 'date', /^date must be a date YYYY-MM-DD/],
    ['date 30 February', { date: '2026-02-30' }, 'date', /^date must be a real calendar date; got "2026-02-30"$/],
    ['date 31 June', { date: '2026-06-31' }, 'date', /^date must be a real calendar date/],
    ['date month 00', { date: '2026-00-10' }, 'date', /^date must be a real calendar date/],
    ['customerId missing', { customerId: null }, 'customerId', /^customerId is required$/],
    ['customerId empty', { customerId: '' }, 'customerId', /^customerId is required and must not be empty$/],
    ['instrument missing', { instrument: null }, 'instrument', /^instrument is required$/],
    ['instrument empty', { instrument: '' }, 'instrument', /^instrument is required and must not be empty$/],
    ['instrument too long', { instrument: chars(501) }, 'instrument', /^instrument must be at most 500 characters/],
    ['lotsTraded missing', { lotsTraded: null }, 'lotsTraded', /^lotsTraded is required$/],
    ['lotsTraded negative', { lotsTraded: '-1' }, 'lotsTraded', /^lotsTraded must be zero or more; got -1$/],
    ['lotsTraded 3 decimal places', { lotsTraded: '1.234' }, 'lotsTraded', /^lotsTraded must have at most 2 decimal places; got 3$/],
    ['lotsTraded 16 significant digits', { lotsTraded: '12345678901234.56' }, 'lotsTraded', /^lotsTraded must have at most 15 significant digits; got 16$/],
    ['lotsTraded not a number', { lotsTraded: '12,5' }, 'lotsTraded', /^lotsTraded must be a decimal number/],
    ['volumeUsd negative', { volumeUsd: '-1' }, 'volumeUsd', /^volumeUsd must be zero or more; got -1$/],
    ['volumeUsd 16 significant digits', { volumeUsd: '1234567890123456' }, 'volumeUsd', /^volumeUsd must have at most 15 significant digits/],
    ['spreadCost negative', { spreadCost: '-0.01' }, 'spreadCost', /^spreadCost must be zero or more; got -0.01$/],
    ['spreadCost 16 significant digits', { spreadCost: '1.234567890123456' }, 'spreadCost', /^spreadCost must have at most 15 significant digits/],
    ['commission negative', { commission: '-5' }, 'commission', /^commission must be zero or more; got -5$/],
    ['commission 16 significant digits', { commission: '1000000000000001' }, 'commission', /^commission must have at most 15 significant digits/],
    ['pnl 16 significant digits', { pnl: '-1234567890123.456' }, 'pnl', /^pnl must have at most 15 significant digits/],
    ['currency missing', { currency: null }, 'currency', /^currency is required$/],
    ['currency lower case', { currency: 'usd' }, 'currency', /^currency must be an ISO 4217 code of three capital letters/],
    ['currency not a real code', { currency: 'ZZZ' }, 'currency', /^currency must be an ISO 4217 currency code; ZZZ is not one$/],
  ])('%s', (_name, over, field, message) => {
    expectErrors(validateTradingActivity([activity(over)]), [[field, message]]);
  });

  it('reports every violation of a record', () => {
    expectErrors(validateTradingActivity([{ date: '2026-02-30', instrument: 'EURUSD', lotsTraded: '-1.234', spreadCost: '-1', currency: 'eur' }]), [
      ['date', /real calendar date/],
      ['customerId', /^customerId is required$/],
      ['lotsTraded', /2 decimal places/],
      ['lotsTraded', /zero or more/],
      ['spreadCost', /zero or more/],
      ['currency', /three capital letters/],
    ]);
  });
});

describe('batches', () => {
  it('separates valid and invalid records, keeping their indexes', () => {
    const { valid, rejected } = validateTransactions([
      transaction({ transactionId: 't0' }),
      transaction({ transactionId: 't1', currency: 'usd' }),
      transaction({ transactionId: 't2', status: 'pending' }),
      transaction({ transactionId: 't3', amountCurrency: '1.001', transactionType: 'Bonus' }),
      transaction({ transactionId: 't4' }),
    ]);
    expect(valid.map((v) => [v.index, v.record.transactionId])).toEqual([
      [0, 't0'],
      [2, 't2'],
      [4, 't4'],
    ]);
    expect(rejected.map((e) => [e.index, e.field])).toEqual([
      [1, 'currency'],
      [3, 'transactionType'],
      [3, 'amountCurrency'],
    ]);
  });

  it('an empty batch is empty', () => {
    expect(validateCustomers([])).toEqual({ valid: [], rejected: [] });
    expect(validateTransactions([])).toEqual({ valid: [], rejected: [] });
    expect(validateTradingActivity([])).toEqual({ valid: [], rejected: [] });
  });

  it('a customer sent twice: the last occurrence wins', () => {
    const { valid, rejected } = validateCustomers([customer({ email: 'old@example.com' }), customer({ customerId: 'other' }), customer({ email: 'new@example.com' })]);
    expect(valid.map((v) => [v.index, v.record.customerId, v.record.email])).toEqual([
      [1, 'other', 'maria.s@example.com'],
      [2, 'tdr_50321', 'new@example.com'],
    ]);
    expect(rejected).toEqual([{ index: 0, field: null, message: expect.stringMatching(/^superseded by index 2, which has the same customerId/) }]);
  });

  it('a transaction re-sent pending, approved, reversed in one batch: only the last state is applied', () => {
    const { valid, rejected } = validateTransactions([
      transaction({ status: 'pending' }),
      transaction({ transactionId: 'another' }),
      transaction({ status: 'approved' }),
      transaction({ status: 'reversed' }),
    ]);
    expect(valid.map((v) => [v.index, v.record.status])).toEqual([
      [1, 'approved'],
      [3, 'reversed'],
    ]);
    expect(rejected).toEqual([
      { index: 0, field: null, message: expect.stringMatching(/^superseded by index 3, which has the same transactionId/) },
      { index: 2, field: null, message: expect.stringMatching(/^superseded by index 3, which has the same transactionId/) },
    ]);
  });

  it('trading activity is keyed by date, customer, instrument and currency', () => {
    const { valid, rejected } = validateTradingActivity([
      activity({ lotsTraded: '10' }),
      activity({ currency: 'EUR' }),
      activity({ instrument: 'XAUUSD' }),
      activity({ date: '2026-03-16' }),
      activity({ customerId: 'tdr_2' }),
      activity({ lotsTraded: '12' }),
    ]);
    expect(valid.map((v) => v.index)).toEqual([1, 2, 3, 4, 5]);
    expect(valid[4].record.lotsTraded).toBe('12');
    expect(rejected).toEqual([
      { index: 0, field: null, message: expect.stringMatching(/^superseded by index 5, which has the same date, customerId, instrument and currency/) },
    ]);
  });

  it('an invalid last occurrence still supersedes, and a superseded record also reports its own errors', () => {
    const { valid, rejected } = validateTransactions([transaction({ note: chars(501) }), transaction({ currency: 'usd' })]);
    expect(valid).toEqual([]);
    expect(rejected).toEqual([
      { index: 0, field: 'note', message: expect.stringMatching(/at most 500/) },
      { index: 0, field: null, message: expect.stringMatching(/superseded by index 1/) },
      { index: 1, field: 'currency', message: expect.stringMatching(/three capital letters/) },
    ]);
  });

  it('records without a full key are not treated as duplicates of each other', () => {
    const { rejected } = validateTransactions([transaction({ transactionId: null }), transaction({ transactionId: null })]);
    expect(rejected).toEqual([
      { index: 0, field: 'transactionId', message: 'transactionId is required' },
      { index: 1, field: 'transactionId', message: 'transactionId is required' },
    ]);
  });

  it(`a ${MAX_BULK_RECORDS}-record batch with 37 bad records reports exactly those 37`, () => {
    expect(MAX_BULK_RECORDS).toBe(1000);
    // 27 is coprime with 1000, so these 37 indexes are distinct and spread over the batch.
    const bad = Array.from({ length: 37 }, (_, i) => (i * 27 + 13) % MAX_BULK_RECORDS);
    const corruptions: ForexTransactionInput[] = [{ currency: 'usd' }, { amountCurrency: '1.005' }, { transactionType: 'refund' }, { transactionDate: '2026-02-30T00:00:00Z' }, { status: '' }, { customerId: null }];
    const records = Array.from({ length: MAX_BULK_RECORDS }, (_, i) => transaction({ transactionId: `txn_${i}`, amountCurrency: `${i}.25` }));
    bad.forEach((index, i) => Object.assign(records[index], corruptions[i % corruptions.length]));

    const { valid, rejected } = validateTransactions(records);
    expect(rejected.map((e) => e.index)).toEqual([...bad].sort((a, b) => a - b));
    expect(valid).toHaveLength(MAX_BULK_RECORDS - 37);
    expect(valid.some((v) => bad.includes(v.index))).toBe(false);
    expect(valid.every((v) => v.record.transactionId === `txn_${v.index}`)).toBe(true);
  });
});

describe('deriveTransactionEvents', () => {
  type Previous = (TransactionState & { derived: DerivedEventType[] }) | null;
  const deposit = (status: string, derived: DerivedEventType[] = []) => ({ transactionType: 'deposit', status, derived });
  const withdrawal = (status: string, derived: DerivedEventType[] = []) => ({ transactionType: 'withdrawal', status, derived });

  it('derives only event types the events subgraph knows', () => {
    const all: DerivedEventType[] = ['FIRST_DEPOSIT', 'RECURRING_DEPOSIT', 'WITHDRAWAL', 'CHARGEBACK'];
    for (const t of all) expect(Object.values(EventType)).toContain(t);
  });

  it.each<[string, Previous, TransactionState, boolean, DerivedEventType[]]>([
    ['new approved deposit, trader has none', null, deposit('approved'), false, ['FIRST_DEPOSIT']],
    ['new approved deposit, trader already has one', null, deposit('approved'), true, ['RECURRING_DEPOSIT']],
    ['status compared without case', null, deposit('APPROVED'), false, ['FIRST_DEPOSIT']],
    ['new pending deposit', null, deposit('pending'), false, []],
    ['pending then approved: derives on approval', deposit('pending'), deposit('approved'), false, ['FIRST_DEPOSIT']],
    ['pending then approved, trader already deposited', deposit('pending'), deposit('approved'), true, ['RECURRING_DEPOSIT']],
    ['pending re-sent', deposit('pending'), deposit('pending'), false, []],
    ['approved re-sent', deposit('approved', ['FIRST_DEPOSIT']), deposit('approved'), true, []],
    ['approved re-sent, stored before anything was derived', deposit('approved'), deposit('approved'), false, []],
    ['approved -> reversed', deposit('approved', ['FIRST_DEPOSIT']), deposit('reversed'), true, ['CHARGEBACK']],
    ['approved -> chargeback', deposit('approved', ['RECURRING_DEPOSIT']), deposit('chargeback'), true, ['CHARGEBACK']],
    ['approved -> charged_back', deposit('approved', ['FIRST_DEPOSIT']), deposit('charged_back'), true, ['CHARGEBACK']],
    ['approved (nothing derived) -> reversed', deposit('approved'), deposit('reversed'), true, ['CHARGEBACK']],
    ['derived, pending, then reversed', deposit('pending', ['FIRST_DEPOSIT']), deposit('reversed'), true, ['CHARGEBACK']],
    ['reversed re-sent', deposit('reversed', ['FIRST_DEPOSIT', 'CHARGEBACK']), deposit('reversed'), true, []],
    ['reversed -> chargeback after a CHARGEBACK', deposit('reversed', ['FIRST_DEPOSIT', 'CHARGEBACK']), deposit('chargeback'), true, []],
    ['reversed -> approved again', deposit('reversed', ['FIRST_DEPOSIT', 'CHARGEBACK']), deposit('approved'), true, []],
    ['new deposit first seen reversed', null, deposit('reversed'), false, []],
    ['pending -> reversed, never approved', deposit('pending'), deposit('reversed'), false, []],
    ['declined deposit', deposit('pending'), deposit('declined'), false, []],
    ['approved -> declined', deposit('approved', ['FIRST_DEPOSIT']), deposit('declined'), true, []],
    ['approved -> pending', deposit('approved', ['FIRST_DEPOSIT']), deposit('pending'), true, []],
    ['approved -> pending -> approved: nothing the second time', deposit('pending', ['FIRST_DEPOSIT']), deposit('approved'), true, []],
    ['new approved withdrawal', null, withdrawal('approved'), true, ['WITHDRAWAL']],
    ['pending then approved withdrawal', withdrawal('pending'), withdrawal('approved'), true, ['WITHDRAWAL']],
    ['approved withdrawal re-sent', withdrawal('approved', ['WITHDRAWAL']), withdrawal('approved'), true, []],
    ['withdrawal approved -> pending -> approved', withdrawal('pending', ['WITHDRAWAL']), withdrawal('approved'), true, []],
    ['pending withdrawal', null, withdrawal('pending'), true, []],
    ['reversed withdrawal is no chargeback', withdrawal('approved', ['WITHDRAWAL']), withdrawal('reversed'), true, []],
    ...(['bonus', 'adjustment', 'ib_rebate', 'other'] as const).flatMap((transactionType): [string, Previous, TransactionState, boolean, DerivedEventType[]][] => [
      [`new approved ${transactionType}`, null, { transactionType, status: 'approved' }, false, []],
      [`${transactionType} pending -> approved`, { transactionType, status: 'pending', derived: [] }, { transactionType, status: 'approved' }, true, []],
      [`${transactionType} approved -> reversed`, { transactionType, status: 'approved', derived: [] }, { transactionType, status: 'reversed' }, true, []],
    ]),
  ])('%s', (_name, previous, next, hasFirstDeposit, expected) => {
    expect(deriveTransactionEvents(previous, next, hasFirstDeposit)).toEqual(expected);
  });

  it('replaying a deposit life cycle derives each event exactly once', () => {
    const states = ['pending', 'approved', 'approved', 'pending', 'approved', 'reversed', 'reversed', 'approved', 'chargeback'];
    let previous = null as Previous;
    let hasFirstDeposit = false;
    const all: DerivedEventType[] = [];
    for (const status of states) {
      const next = { transactionType: 'deposit', status };
      const events = deriveTransactionEvents(previous, next, hasFirstDeposit);
      all.push(...events);
      hasFirstDeposit ||= events.includes('FIRST_DEPOSIT');
      previous = { ...next, derived: [...(previous?.derived ?? []), ...events] };
    }
    expect(all).toEqual(['FIRST_DEPOSIT', 'CHARGEBACK']);
  });
});

describe('activityDelta', () => {
  const day = (lotsTraded: string, spreadCost: string | null, commission: string | null): ActivityAmounts => ({ lotsTraded, spreadCost, commission });

  it('a new day pays everything', () => {
    expect(activityDelta(null, day('12.5', '37.5', '25'))).toEqual({ lots: '12.5', spreadCost: '37.5', commission: '25', changed: true });
  });

  it('a correction upwards pays the difference', () => {
    expect(activityDelta(day('12.5', '37.5', '25'), day('15', '40.25', '25'))).toEqual({ lots: '2.5', spreadCost: '2.75', commission: '0', changed: true });
  });

  it('a correction downwards gives negative deltas', () => {
    expect(activityDelta(day('12.5', '37.5', '25'), day('11.25', '30', '20'))).toEqual({ lots: '-1.25', spreadCost: '-7.5', commission: '-5', changed: true });
  });

  it('an unchanged re-send changes nothing, whatever the scale written', () => {
    expect(activityDelta(day('12.5', '37.5', '25'), day('12.5', '37.5', '25'))).toEqual({ lots: '0', spreadCost: '0', commission: '0', changed: false });
    expect(activityDelta(day('12.50', '37.5', '25.00'), day('12.5', '37.50', '25'))).toEqual({ lots: '0', spreadCost: '0', commission: '0', changed: false });
  });

  it('null amounts count as zero', () => {
    expect(activityDelta(null, day('0', null, null))).toEqual({ lots: '0', spreadCost: '0', commission: '0', changed: false });
    expect(activityDelta(day('1', null, '3'), day('1', '2', null))).toEqual({ lots: '0', spreadCost: '2', commission: '-3', changed: true });
    expect(activityDelta(day('1', '0', '0'), day('1', null, null))).toEqual({ lots: '0', spreadCost: '0', commission: '0', changed: false });
  });

  it('is exact where floats are not', () => {
    expect(0.3 - 0.1).not.toBe(0.2);
    expect(activityDelta(day('0.1', '0.1', '0.7'), day('0.3', '0.3', '0.1'))).toEqual({ lots: '0.2', spreadCost: '0.2', commission: '-0.6', changed: true });
    expect(activityDelta(day('0.1', null, null), day('0.30', null, null)).lots).toBe('0.2');
    expect(activityDelta(day('99999999999999.9', '0.000000000000001', null), day('100000000000000', '0.000000000000002', null))).toEqual({
      lots: '0.1',
      spreadCost: '0.000000000000001',
      commission: '0',
      changed: true,
    });
  });
});

// Track360 "Validation Rules" and field specifications, one test per seed sentence.
describe('Track360 seed limits', () => {
  it('amount_currency "Decimal precision up to 2 places": 10.123 USD is refused, 10.12 accepted', () => {
    expectErrors(validateTransactions([transaction({ amountCurrency: '10.123' })]), [['amountCurrency', /^amountCurrency must have at most 2 decimal places; got 3$/]]);
    expect(validateTransactions([transaction({ amountCurrency: '10.12' })]).rejected).toEqual([]);
  });

  it('amount_currency is an amount of its currency (ISO 4217 minor units): 10.5 JPY is refused, 10.00 JPY and 10.5 EUR accepted', () => {
    expectErrors(validateTransactions([transaction({ amountCurrency: 10.5, currency: 'JPY' })]), [['amountCurrency', /^amountCurrency must have no decimals in JPY/]]);
    expect(validateTransactions([transaction({ amountCurrency: '10.00', currency: 'JPY' }), transaction({ transactionId: 't2', amountCurrency: 10.5, currency: 'EUR' })]).rejected).toEqual([]);
  });

  it('lots_traded "Non-negative decimal. Precision up to 2 places"', () => {
    expectErrors(validateTradingActivity([activity({ lotsTraded: 12.345 })]), [['lotsTraded', /^lotsTraded must have at most 2 decimal places; got 3$/]]);
  });

  it('spread_cost, commission and amount_usd have no decimal-places rule: only "Numeric amounts must not exceed 15 significant digits"', () => {
    expect(validateTradingActivity([activity({ spreadCost: '37.12345', commission: '25.0001', pnl: '-142.3456' })]).rejected).toEqual([]);
    expect(validateTransactions([transaction({ amountUsd: '5000.123456' })]).rejected).toEqual([]);
    expectErrors(validateTradingActivity([activity({ spreadCost: '0.1234567890123456' })]), [['spreadCost', /^spreadCost must have at most 15 significant digits; got 16$/]]);
  });

  it('"String fields must not exceed 500 characters unless documented otherwise": 500 accepted, 501 refused', () => {
    expect(validateCustomers([customer({ firstName: chars(500, 'é'), leverage: chars(500) })]).rejected).toEqual([]);
    expectErrors(validateCustomers([customer({ firstName: chars(501, 'é') })]), [['firstName', /^firstName must be at most 500 characters; got 501$/]]);
  });

  it('the sample payloads with JSON numbers (amount_currency: 5000, lots_traded: 12.5) are accepted as sent', () => {
    const t = validateTransactions([transaction({ amountCurrency: 5000, amountUsd: 5000 })]);
    expect(t.rejected).toEqual([]);
    expect(t.valid[0].record).toMatchObject({ amountCurrency: '5000', amountUsd: '5000' });
    const a = validateTradingActivity([activity({ lotsTraded: 12.5, volumeUsd: 1562500, spreadCost: 37.5, commission: 25, pnl: -142.3 })]);
    expect(a.rejected).toEqual([]);
    expect(a.valid[0].record).toMatchObject({ lotsTraded: '12.5', volumeUsd: '1562500', spreadCost: '37.5', commission: '25', pnl: '-142.3' });
  });

  it('a value the Decimal scalar would refuse is this record\'s error, not the call\'s: the next record is kept', () => {
    const { valid, rejected } = validateTradingActivity([activity({ lotsTraded: { kind: 'BooleanValue' } }), activity({ instrument: 'XAUUSD', lotsTraded: '1e1000000000' }), activity({ instrument: 'US500' })]);
    expect(valid.map((v) => v.index)).toEqual([2]);
    expect(rejected).toEqual([
      { index: 0, field: 'lotsTraded', message: expect.stringMatching(/^lotsTraded must be a decimal number/) },
      { index: 1, field: 'lotsTraded', message: expect.stringMatching(/^lotsTraded must be a decimal number/) },
    ]);
  });

  it('trading activity dated more than one day after the UTC date is refused (broker servers run on GMT+2/3)', () => {
    const now = new Date('2026-03-15T23:30:00Z');
    // 2026-03-16 is already today on a GMT+2 server; 2026-03-17 has not been traded anywhere.
    expect(validateTradingActivity([activity({ date: '2026-03-16' })], now).rejected).toEqual([]);
    expectErrors(validateTradingActivity([activity({ date: '2026-03-17' })], now), [
      ['date', /^date must be at most 1 day after today's UTC date \(broker servers run ahead of UTC\), so 2026-03-16 at the latest; got 2026-03-17$/],
    ]);
  });
});
