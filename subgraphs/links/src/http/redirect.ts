import express from 'express';
import { Counter, register } from 'prom-client';
import { logger } from '../../../shared/src';
import { clientIp } from '../domain/visitor';
import { ReferralLink } from '../entities/referral-link.entity';
import { captureClick, ClickRequest, linkUrl } from '../services/clicks';
import { LinksDeps } from '../services/deps';

/** Redirects answered without a click because it could not be stored (the visitor is sent on). */
function clicksNotRecorded(): Counter {
  const name = 'click_redirect_unrecorded_total';
  return (register.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help: 'Redirects sent on without a click id because the click could not be stored' });
}

const SLUG_RE = /^[0-9A-Za-z]{1,64}$/;

/**
 * GET /r/:slug records a click, sets the click-id cookie and answers 302 to the link's
 * URL (geo-routed) with the click id added. HEAD requests, bots and link-preview
 * fetchers are redirected without a click. The gateway forwards /r/* here; the
 * visitor's IP comes from X-Forwarded-For only through TRUSTED_PROXIES.
 */
export function redirectRoutes(deps: LinksDeps) {
  const log = logger('links.redirect');
  return (app: express.Express) => {
    app.all('/r/:slug', async (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.set('allow', 'GET, HEAD').status(405).json({ error: { code: 'method_not_allowed', message: 'use GET' } });
        return;
      }
      const slug = String(req.params.slug);
      let link: ReferralLink | null;
      try {
        link = SLUG_RE.test(slug) ? await deps.outbox.dataSource.getRepository(ReferralLink).findOneBy({ slug }) : null;
      } catch (err) {
        log.error({ err: (err as Error).message, slug }, 'link lookup failed');
        res.status(503).set('retry-after', '5').json({ error: { code: 'links_unavailable', message: 'the link could not be looked up; try again' } });
        return;
      }
      if (!link) {
        res.status(404).json({ error: { code: 'link_not_found', message: `No referral link matches ${slug}.`, param: 'slug' } });
        return;
      }
      res.set('cache-control', 'no-store');
      res.set('referrer-policy', 'no-referrer-when-downgrade');
      let visit: ClickRequest = { ip: null };
      try {
        const ip = clientIp(req.socket.remoteAddress, req.header('x-forwarded-for'), deps.config.trustedProxies);
        visit = { ip, userAgent: req.header('user-agent'), referrer: req.header('referer') };
        const outcome = await captureClick(deps, link, visit, req.method === 'GET');
        if (outcome.click) {
          res.cookie(outcome.settings.clickCookieName, outcome.click.id, {
            maxAge: outcome.settings.clickCookieDays * 86_400_000,
            httpOnly: false,
            sameSite: 'lax',
            secure: deps.config.publicUrl.startsWith('https:'),
            path: '/',
          });
        }
        res.redirect(302, outcome.location);
      } catch (err) {
        // A click we could not record must not strand the visitor: send them on, without a click id.
        clicksNotRecorded().inc();
        log.error({ err: (err as Error).message, slug }, 'click not recorded; visitor redirected without a click id');
        const location = await captureClick(deps, link, visit, false).then(
          (o) => o.location,
          () => linkUrl(link, deps.config.defaultLinkDomain),
        );
        res.redirect(302, location);
      }
    });
  };
}
