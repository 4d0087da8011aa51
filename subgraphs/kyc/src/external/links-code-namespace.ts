import { PRINCIPAL_HEADER, signingKey, signPrincipal, SigningKey } from '../../../shared/src';
import { LINKS_TIMEOUT_MS, readReserveAnswer, readSyncAnswer, ReserveAnswer, reservationsUrl, SyncAnswer } from '../domain/code-namespace';

/** Where kyc reserves its codes: the tenant's one code namespace, kept by links. */
export interface CodeNamespace {
  reserve(tenantId: string, code: string, kycCodeId: string, replaces?: string | null): Promise<ReserveAnswer>;
  /** Best effort: gives back a reservation whose KYC code was not stored. */
  release(tenantId: string, code: string, kycCodeId: string): Promise<void>;
  /** Codes kyc stored before links kept the namespace; null when links could not be asked. */
  sync(tenantId: string, codes: { code: string; kycCodeId: string }[]): Promise<SyncAnswer[] | null>;
}

/**
 * The links subgraph's internal endpoint over HTTP, with a fresh single-use principal per call
 * (tenant, kyc:write), signed with PRINCIPAL_SECRET like the gateway's fetches.
 */
export class LinksCodeNamespace implements CodeNamespace {
  private readonly key: SigningKey;

  constructor(
    private readonly linksUrl: string,
    principalSecret: string,
    private readonly timeoutMs = LINKS_TIMEOUT_MS,
  ) {
    this.key = signingKey(principalSecret);
  }

  private async post(tenantId: string, action: '' | 'release' | 'sync', body: unknown, timeoutMs = this.timeoutMs): Promise<{ status: number; body: unknown }> {
    const token = await signPrincipal({ tenantId, scopes: ['kyc:write'] }, this.key);
    const res = await fetch(reservationsUrl(this.linksUrl, action), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PRINCIPAL_HEADER]: token },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed };
  }

  async reserve(tenantId: string, code: string, kycCodeId: string, replaces: string | null = null): Promise<ReserveAnswer> {
    try {
      const answer = await this.post(tenantId, '', { code, kycCodeId, replaces });
      return readReserveAnswer(answer.status, answer.body);
    } catch (err) {
      return { outcome: 'unavailable', why: (err as Error).name === 'TimeoutError' ? `links did not answer within ${this.timeoutMs} ms` : (err as Error).message };
    }
  }

  async release(tenantId: string, code: string, kycCodeId: string): Promise<void> {
    await this.post(tenantId, 'release', { code, kycCodeId }, Math.min(this.timeoutMs, 2000));
  }

  async sync(tenantId: string, codes: { code: string; kycCodeId: string }[]): Promise<SyncAnswer[] | null> {
    const answer = await this.post(tenantId, 'sync', { codes }, 30_000);
    return readSyncAnswer(answer.status, answer.body);
  }
}
