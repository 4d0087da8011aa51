import { badInput } from '../../../shared/src';

/**
 * ReferralEvent.cursor: the event's per-tenant stream position, opaque to clients.
 * Live subscriptions resume after it (issue #7).
 */
export function encodeEventCursor(position: string | number): string {
  return Buffer.from(`evp:${position}`).toString('base64url');
}

export function decodeEventCursor(cursor: string, param = 'after'): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^evp:(\d{1,15})$/.exec(text);
  if (!m) throw badInput('after must be a ReferralEvent.cursor', param);
  return Number(m[1]);
}

/** ReferralEventCorrection.cursor: the correction's position in the tenant's log of corrections, opaque to clients. */
export function encodeCorrectionCursor(position: string | number): string {
  return Buffer.from(`evc:${position}`).toString('base64url');
}

export function decodeCorrectionCursor(cursor: string, param = 'after'): number {
  const m = /^evc:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badInput('after must be a ReferralEventCorrection.cursor', param);
  return Number(m[1]);
}
