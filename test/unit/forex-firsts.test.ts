import { directedAmount, placeDeposit, placeTradingDay } from '../../subgraphs/events/src/domain/firsts';

const at = (iso: string) => new Date(iso);
const first = { eventId: 'evt_first', occurredAt: at('2026-11-28T10:00:00Z') };

describe('which deposit is the first: by date, not arrival', () => {
  it.each([
    ['no first deposit yet', null, '2026-11-28T10:00:00Z', { label: 'FIRST_DEPOSIT', demote: null }],
    ['dated after the first', first, '2026-11-29T00:00:00Z', { label: 'RECURRING_DEPOSIT', demote: null }],
    ['dated the same instant (arrival order breaks the tie)', first, '2026-11-28T10:00:00Z', { label: 'RECURRING_DEPOSIT', demote: null }],
    ['dated earlier: it becomes the first, the old one is demoted', first, '2026-11-21T10:00:00Z', { label: 'FIRST_DEPOSIT', demote: 'evt_first' }],
    ['one millisecond earlier', first, '2026-11-28T09:59:59.999Z', { label: 'FIRST_DEPOSIT', demote: 'evt_first' }],
  ])('%s', (_name, current, date, expected) => {
    expect(placeDeposit(current, at(date))).toEqual(expected);
  });
});

describe('which day is the first trade', () => {
  it.each([
    ['no first trade yet', null, '2026-11-28', '1.5', { action: 'record' }],
    ['a day without lots is no trade', null, '2026-11-28', '0', { action: 'none' }],
    ['a later day', first, '2026-11-29', '1', { action: 'none' }],
    ['an earlier day moves the first trade', first, '2026-11-21', '0.01', { action: 'move', eventId: 'evt_first' }],
    ['an earlier day without lots moves nothing', first, '2026-11-21', '0', { action: 'none' }],
  ])('%s', (_name, current, day, lots, expected) => {
    expect(placeTradingDay(current, at(`${day}T00:00:00Z`), lots)).toEqual(expected);
  });
});

describe('the transaction type gives the direction of amount_currency', () => {
  it.each([
    ['withdrawal', '-300', '300'],
    ['withdrawal', '300', '300'],
    ['deposit', '-1000.5', '1000.5'],
    ['bonus', '-25', '25'],
    ['ib_rebate', '-7.25', '7.25'],
    ['adjustment', '-50', '-50'],
    ['adjustment', '50', '50'],
    ['other', '-1', '-1'],
    ['deposit', '0', '0'],
  ])('%s of %s moves %s', (type, amount, expected) => {
    expect(directedAmount(type, amount)).toBe(expected);
  });
});
