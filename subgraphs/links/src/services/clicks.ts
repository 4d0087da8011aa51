import { MoreThan } from 'typeorm';
import { encodeClickId } from '../../../shared/src/click-id';
import { fingerprint } from '../../../shared/src/fingerprint';
import { ulid } from '../../../shared/src';
import { appendParam, buildLinkUrl, routeDomain } from '../domain/link-url';
import { describeVisitor } from '../domain/visitor';
import { Click } from '../entities/click.entity';
import { LinkSettings } from '../entities/link-settings.entity';
import { ReferralLink } from '../entities/referral-link.entity';
import { LinksDeps } from './deps';
import { loadSettings } from './link-settings';

/** Repeated clicks of one visitor on one link within this window count once as unique. */
export const UNIQUE_CLICK_WINDOW_MS = 3600_000;

export interface ClickRequest {
  ip: string | null;
  userAgent?: string | null;
  referrer?: string | null;
}

export interface ClickOutcome {
  /** Null when the visit is not counted (a bot or link-preview fetcher, a HEAD request). */
  click: Click | null;
  /** Where to send the visitor: the link URL (geo-routed), with the click id when counted. */
  location: string;
  settings: LinkSettings;
}

/** The URL a link distributes, on `domain` (the primary domain, or a regional one). */
export function linkUrl(link: ReferralLink, domain: string): string {
  return buildLinkUrl({
    domain,
    path: link.path,
    ref: link.encryptPartnerId ? null : link.referralCode,
    formx: link.encryptPartnerId ? link.partnerToken : null,
    utm: { source: link.utmSource, medium: link.utmMedium, campaign: link.utmCampaign, term: link.utmTerm, content: link.utmContent },
  });
}

/**
 * Records a click on `link` (unless `count` is false or the visitor is a bot) and says
 * where to send the visitor. The click id carries the link and partner ids signed with
 * CLICK_ID_SECRET, so the events subgraph can attribute without asking links.
 */
export async function captureClick(deps: LinksDeps, link: ReferralLink, req: ClickRequest, count: boolean): Promise<ClickOutcome> {
  const ds = deps.outbox.dataSource;
  const settings = await loadSettings(ds, link.tenantId, deps.config.defaultLinkDomain);
  const visitor = describeVisitor(req.ip, req.userAgent);
  const domain = link.geoRouting ? routeDomain(settings.primaryDomain, settings.regionalDomains, visitor.country) : settings.primaryDomain;
  const url = linkUrl(link, domain);
  if (!count || visitor.isBot) return { click: null, location: url, settings };

  const id = encodeClickId({ clickUlid: ulid(), linkId: link.id, partnerId: link.partnerId }, link.tenantId, deps.config.clickIdSecrets[0]);
  const location = appendParam(url, settings.clickParamName, id);
  const fp = fingerprint(req.ip, req.userAgent);
  const now = new Date();
  const click = await deps.outbox.transaction(async (m, emit) => {
    const repo = m.getRepository(Click);
    const seen = fp ? await repo.count({ where: { linkId: link.id, fingerprint: fp, createdAt: MoreThan(new Date(now.getTime() - UNIQUE_CLICK_WINDOW_MS)) } }) : 0;
    const row = repo.create({
      id,
      tenantId: link.tenantId,
      linkId: link.id,
      partnerId: link.partnerId,
      ip: visitor.ip,
      country: visitor.country,
      deviceType: visitor.deviceType,
      browser: visitor.browser,
      os: visitor.os,
      userAgent: clip(req.userAgent),
      referrer: clip(req.referrer),
      landingUrl: clip(location),
      utmSource: link.utmSource,
      utmMedium: link.utmMedium,
      utmCampaign: link.utmCampaign,
      utmTerm: link.utmTerm,
      utmContent: link.utmContent,
      fingerprint: fp,
      isUnique: seen === 0,
      createdAt: now,
    });
    await repo.insert(row);
    emit('click.recorded', link.tenantId, {
      click: { id, linkId: link.id, partnerId: link.partnerId, country: row.country, fingerprint: fp, isUnique: row.isUnique, createdAt: now.toISOString() },
    });
    return row;
  });
  return { click, location, settings };
}

function clip(value: string | null | undefined, max = 2000): string | null {
  if (!value) return null;
  return value.length > max ? value.slice(0, max) : value;
}
