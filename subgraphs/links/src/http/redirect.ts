import express from 'express';
import { logger } from '../../../shared/src';
import { clientIp } from '../domain/visitor';
import { ReferralLink } from '../entities/referral-link.entity';
import { captureClick } from '../services/clicks';
import { LinksDeps } from '../services/deps';

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
      const link = SLUG_RE.test(slug) ? await deps.outbox.dataSource.getRepository(ReferralLink).findOneBy({ slug }) : null;
      if (!link) {
        res.status(404).json({ error: { code: 'link_not_found', message: `No referral link matches ${slug}.`, param: 'slug' } });
        return;
      }
      try {
        const ip = clientIp(req.socket.remoteAddress, req.header('x-forwarded-for'), deps.config.trustedProxies);
        const outcome = await captureClick(deps, link, { ip, userAgent: req.header('user-agent'), referrer: req.header('referer') }, req.method === 'GET');
        res.set('cache-control', 'no-store');
        res.set('referrer-policy', 'no-referrer-when-downgrade');
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
        // A click we could not record must not strand the visitor: send them on anyway.
        log.error({ err: (err as Error).message, slug }, 'click not recorded');
        res.status(500).json({ error: { code: 'internal_error', message: 'the click could not be recorded' } });
      }
    });
  };
}
