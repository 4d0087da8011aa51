/**
 * KYC codes and partner codes share one namespace per tenant, kept by the links subgraph:
 * kyc reserves a code there (POST /internal/code-reservations on the links port) before it
 * stores it. These are the pure parts: where to call, and what an answer means.
 */

/** How long kyc waits for links before it refuses the code as unavailable. */
export const LINKS_TIMEOUT_MS = 5000;

/** KYC codes sent per sync request at start (links accepts up to 500). */
export const SYNC_BATCH = 500;

/**
 * The internal endpoint beside the links /graphql URL (LINKS_URL, the gateway's variable):
 * `http://links:4001/graphql` -> `http://links:4001/internal/code-reservations`.
 */
export function reservationsUrl(linksGraphqlUrl: string, action: '' | 'release' | 'sync' = ''): string {
  const base = new URL('internal/code-reservations', linksGraphqlUrl.replace(/\/+$/, ''));
  return action ? `${base.href}/${action}` : base.href;
}

export interface Holder {
  kind: 'partner' | 'kyc';
  id: string;
  reservedAt: string;
}

export type ReserveAnswer = { outcome: 'reserved' } | { outcome: 'taken'; holder: Holder } | { outcome: 'unavailable'; why: string };

/** Reads links' answer to a reservation; anything but a clear yes or no is "unavailable". */
export function readReserveAnswer(status: number, body: unknown): ReserveAnswer {
  const b = (body ?? {}) as { reserved?: unknown; holder?: Partial<Holder> };
  if (status === 200 && b.reserved === true) return { outcome: 'reserved' };
  if (status === 409 && b.reserved === false && b.holder && (b.holder.kind === 'partner' || b.holder.kind === 'kyc') && typeof b.holder.id === 'string') {
    return { outcome: 'taken', holder: { kind: b.holder.kind, id: b.holder.id, reservedAt: String(b.holder.reservedAt ?? '') } };
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return { outcome: 'unavailable', why: `links answered HTTP ${status}${error ? `: ${String(error.code)} ${String(error.message)}` : ''}` };
}

export interface SyncAnswer {
  kycCodeId: string;
  reserved: boolean;
  partnerId?: string;
}

export function readSyncAnswer(status: number, body: unknown): SyncAnswer[] | null {
  const results = (body as { results?: unknown } | null)?.results;
  if (status !== 200 || !Array.isArray(results)) return null;
  return results.filter((r): r is SyncAnswer => !!r && typeof r.kycCodeId === 'string' && typeof r.reserved === 'boolean');
}
