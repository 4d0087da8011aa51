import type * as GeoipLite from 'geoip-lite';
import UAParser from 'ua-parser-js';
import { isbot } from 'isbot';

/**
 * Who clicked a link, from the facts of the redirect request: the client IP, its
 * country, and what the user agent says about the device. Recorded on the click for the
 * click list (attribution audits, fraud) and for geo-routing.
 */
export interface Visitor {
  ip: string | null;
  country: string | null;
  deviceType: string;
  browser: string | null;
  os: string | null;
  isBot: boolean;
}

// Also the gateway's: both take the client's address through TRUSTED_PROXIES.
export { clientIp } from '../../../shared/src/client-ip';

/**
 * Services that fetch a link to draw a preview when it is pasted into a chat or a post.
 * Their requests are not visitors, and several of them are not in isbot's list or send
 * a browser-like user agent.
 */
const PREVIEW_FETCHERS = [
  'facebookexternalhit',
  'Facebot',
  'Twitterbot',
  'Slackbot',
  'Slack-ImgProxy',
  'LinkedInBot',
  'TelegramBot',
  'Discordbot',
  'SkypeUriPreview',
  'Iframely',
  'Embedly',
  'redditbot',
  'Applebot',
  'Google-InspectionTool',
  'Pinterestbot',
  'vkShare',
  'W3C_Validator',
  'bitlybot',
  'Mastodon',
];
/**
 * These are also apps whose in-app browsers append their name to a real browser's user
 * agent (`... Mobile/15E148 Snapchat/12.56.0.38`): only a user agent that starts with
 * the name is the fetcher, as isbot does for snapchat and whatsapp.
 */
const PREVIEW_FETCHERS_AT_START = ['WhatsApp', 'Snapchat', 'Viber'];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const PREVIEW_RE = new RegExp(
  [...PREVIEW_FETCHERS.map(escape), ...PREVIEW_FETCHERS_AT_START.map((n) => `^${escape(n)}`)].join('|'),
  'i',
);

let geoip: typeof GeoipLite | undefined;

/**
 * Loaded on first use: geoip-lite reads its whole database (~100 MB) into memory when
 * required, which processes that never record a click should not pay for.
 */
function countryOf(ip: string): string | null {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  geoip ??= require('geoip-lite') as typeof GeoipLite;
  return geoip.lookup(ip)?.country || null;
}

export function describeVisitor(ip: string | null, userAgent: string | null | undefined): Visitor {
  const ua = userAgent?.trim() ?? '';
  // Every browser sends a user agent; a request without one is a script.
  const isBot = ua === '' || isbot(ua) || PREVIEW_RE.test(ua);
  const parsed = new UAParser(ua).getResult();
  return {
    ip,
    country: ip ? countryOf(ip) : null,
    deviceType: isBot ? 'bot' : (parsed.device.type ?? 'desktop'),
    browser: parsed.browser.name ?? null,
    os: parsed.os.name ?? null,
    isBot,
  };
}
