import { forbidden, notFound } from './errors';
import { Principal, Scope } from './principal';

/** What every subgraph resolver gets; subgraphs extend it with their loaders. */
export interface BaseContext {
  principal: Principal;
}

export function requireScope(ctx: BaseContext, scope: Scope): void {
  if (!ctx.principal.scopes.includes(scope)) {
    throw forbidden(`this operation needs the scope ${scope}; the credential has: ${ctx.principal.scopes.join(' ') || 'none'}`, 'missing_scope');
  }
}

/**
 * A partner principal may only touch its own partner. Another partner's object is
 * answered as not found, exactly like another tenant's, so ids cannot be probed.
 */
export function assertPartnerVisible(ctx: BaseContext, partnerId: string | null | undefined, what = 'partner', param?: string): void {
  const own = ctx.principal.partnerId;
  if (own && partnerId !== own) throw notFound(`no ${what} with that id`, param, `${what.replace(/ /g, '_')}_not_found`);
}

/** The partner filter a list must apply: the caller's own partner for a partner principal. */
/** `param`: where the requested id came from (a list filter's `filter.partnerId` unless the caller says otherwise). */
export function scopedPartnerId(ctx: BaseContext, requested: string | null | undefined, param = 'filter.partnerId'): string | undefined {
  const own = ctx.principal.partnerId;
  if (own) {
    if (requested && requested !== own) throw forbidden(`a partner credential can only read its own partner; leave ${param} out or give ${own}`, 'partner_scope', param);
    return own;
  }
  return requested ?? undefined;
}

/**
 * A reference resolver that first checks `scope`: entity lookups from other subgraphs
 * (`_entities`) reach data too, so they need the same scope as the root fields.
 */
export function withScope<R, C extends BaseContext, T>(scope: Scope, resolve: (ref: R, ctx: C) => T): (ref: R, ctx: C) => T {
  return (ref, ctx) => {
    requireScope(ctx, scope);
    return resolve(ref, ctx);
  };
}
