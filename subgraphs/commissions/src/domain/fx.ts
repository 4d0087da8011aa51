/** The exchange-rate rules live in shared/src/fx.ts: events (isConversion) and commissions must convert alike. */
export { fxTable, parseFxRates, inverseRate, impliedRate, INVERSE_RATE_DIGITS, type FxTable } from '../../../shared/src/fx';
