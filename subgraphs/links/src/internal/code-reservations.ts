import express from 'express';
import { DataSource } from 'typeorm';
import { acceptPrincipalToken, logger, Principal, PRINCIPAL_HEADER, ReplayGuard, SigningKey, transaction } from '../../../shared/src';
import { parseKycReservation, parseKycSync } from '../domain/code-namespace';
import { releaseKycCode, reportStoredCollisions, reserveCode, syncKycCodes } from '../services/code-namespace';

/**
 * The internal endpoint kyc reserves its codes through, on the links port (never on the
 * gateway, never in the graph). It is the one place a subgraph calls another synchronously:
 * a KYC code and a partner code must not be created with one spelling even in the same
 * millisecond, and only a single owner of the namespace can promise that.
 *
 *   POST /internal/code-reservations          { code, kycCodeId, replaces? }  200 { reserved: true } | 409 { reserved: false, holder }
 *   POST /internal/code-reservations/release  { code, kycCodeId }             200 { released }
 *   POST /internal/code-reservations/sync     { codes: [{ code, kycCodeId }] } 200 { results }
 *
 * Each request carries a single-use principal signed with PRINCIPAL_SECRET (`x-gateway-principal`,
 * as the gateway's fetches do) for the tenant, with the scope kyc:write and no partner.
 */
export const CODE_RESERVATIONS_PATH = '/internal/code-reservations';

export interface CodeReservationRouteDeps {
  dataSource: DataSource;
  signingKeys: SigningKey[];
  replayGuard: ReplayGuard;
}

type Handler = (principal: Principal, body: unknown) => Promise<{ status: number; body: unknown }>;

export function codeReservationRoutes(deps: CodeReservationRouteDeps) {
  const log = logger('links.codes');
  const ds = deps.dataSource;
  const fail = (res: express.Response, status: number, code: string, message: string) => res.status(status).json({ error: { code, message } });

  const handle = (work: Handler) => async (req: express.Request, res: express.Response) => {
    const verified = await acceptPrincipalToken(req.header(PRINCIPAL_HEADER), deps.signingKeys, deps.replayGuard);
    if (!verified) return fail(res, 401, 'unauthenticated', `this endpoint needs a valid, unused principal signed with PRINCIPAL_SECRET (${PRINCIPAL_HEADER})`);
    const principal = verified.principal;
    if (principal.partnerId || !principal.scopes.includes('kyc:write')) return fail(res, 403, 'forbidden', 'reserving KYC referral codes needs a tenant principal with kyc:write');
    try {
      const answer = await work(principal, req.body);
      res.status(answer.status).json(answer.body);
    } catch (err) {
      log.error({ err: (err as Error).message, tenantId: principal.tenantId, path: req.path }, 'a code reservation failed');
      fail(res, 500, 'internal', 'the reservation could not be stored');
    }
  };

  const reserve: Handler = async (principal, body) => {
    const parsed = parseKycReservation(body);
    if (!parsed.ok) return { status: 400, body: { error: { code: 'bad_request', message: parsed.problem } } };
    const { code, kycCodeId, replaces } = parsed.value;
    const outcome = await transaction(ds, (m) => reserveCode(m, principal.tenantId, code, { ownerKind: 'kyc', ownerId: kycCodeId, replaces }));
    if (outcome.reserved) return { status: 200, body: { reserved: true } };
    const h = outcome.holder;
    return { status: 409, body: { reserved: false, holder: { kind: h.ownerKind, id: h.ownerId, reservedAt: h.reservedAt.toISOString() } } };
  };

  const release: Handler = async (principal, body) => {
    const parsed = parseKycReservation(body);
    if (!parsed.ok) return { status: 400, body: { error: { code: 'bad_request', message: parsed.problem } } };
    const released = await transaction(ds, (m) => releaseKycCode(m, principal.tenantId, parsed.value.code, parsed.value.kycCodeId));
    return { status: 200, body: { released } };
  };

  const sync: Handler = async (principal, body) => {
    const parsed = parseKycSync(body);
    if (!parsed.ok) return { status: 400, body: { error: { code: 'bad_request', message: parsed.problem } } };
    const results = await transaction(ds, (m) => syncKycCodes(m, principal.tenantId, parsed.value));
    if (results.some((r) => !r.reserved)) await reportStoredCollisions(ds, 'kyc reported the KYC codes it stored before');
    return { status: 200, body: { results } };
  };

  return (app: express.Express) => {
    const router = express.Router();
    router.use(express.json({ limit: '512kb' }));
    router.post('/', handle(reserve));
    router.post('/release', handle(release));
    router.post('/sync', handle(sync));
    router.use((err: Error & { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      fail(res, err.status && err.status < 500 ? err.status : 400, 'bad_request', 'the body must be JSON of at most 512 kB');
    });
    app.use(CODE_RESERVATIONS_PATH, router);
  };
}
