import { earningsFrom } from '../../subgraphs/commissions/src/domain/earnings';

describe('partner earnings', () => {
  it('are all "0.00" with no commissions', () => {
    expect(earningsFrom([], 'USD')).toEqual({
      currency: 'USD',
      pendingIncome: '0.00',
      approvedIncome: '0.00',
      paidIncome: '0.00',
      totalIncome: '0.00',
      reversedIncome: '0.00',
    });
  });

  it('sum per status, with total income = approved + paid', () => {
    const totals = earningsFrom(
      [
        { status: 'PENDING', minor: '1000' },
        { status: 'PENDING', minor: 250 },
        { status: 'APPROVED', minor: '2000' },
        { status: 'PAID', minor: '5005' },
        { status: 'PAID', minor: 1 },
        { status: 'REVERSED', minor: '300' },
      ],
      'USD',
    );
    expect(totals).toEqual({
      currency: 'USD',
      pendingIncome: '12.50',
      approvedIncome: '20.00',
      paidIncome: '50.06',
      totalIncome: '70.06',
      reversedIncome: '3.00',
    });
  });

  it('do not count pending or reversed in total income', () => {
    const totals = earningsFrom(
      [
        { status: 'PENDING', minor: '999' },
        { status: 'REVERSED', minor: '111' },
      ],
      'EUR',
    );
    expect(totals.totalIncome).toBe('0.00');
    expect(totals.pendingIncome).toBe('9.99');
    expect(totals.reversedIncome).toBe('1.11');
    expect(totals.currency).toBe('EUR');
  });

  it('ignore unknown statuses', () => {
    expect(earningsFrom([{ status: 'CANCELLED', minor: '500' }, { status: 'paid', minor: '500' }], 'USD').totalIncome).toBe('0.00');
  });

  it('format JPY without decimals', () => {
    const totals = earningsFrom(
      [
        { status: 'APPROVED', minor: '1500' },
        { status: 'PAID', minor: 500 },
      ],
      'JPY',
    );
    expect(totals).toEqual({
      currency: 'JPY',
      pendingIncome: '0',
      approvedIncome: '1500',
      paidIncome: '500',
      totalIncome: '2000',
      reversedIncome: '0',
    });
  });

  it('stay exact beyond 2^53 minor units', () => {
    // 2^53 + 1 cannot be held by a double: adding through numbers would give ...992
    const big = '9007199254740993';
    expect(Number(big) + 0).toBe(9007199254740992);
    const totals = earningsFrom(
      [
        { status: 'APPROVED', minor: big },
        { status: 'PAID', minor: big },
        { status: 'PENDING', minor: '123456789012345678901' },
      ],
      'USD',
    );
    expect(totals.approvedIncome).toBe('90071992547409.93');
    expect(totals.totalIncome).toBe('180143985094819.86');
    expect(totals.pendingIncome).toBe('1234567890123456789.01');
  });
});
