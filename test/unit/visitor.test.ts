import { clientIp, describeVisitor } from '../../subgraphs/links/src/domain/visitor';

const UA = {
  chromeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  safariIpad:
    'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0',
  samsungTv:
    'Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36',
  playstation: 'Mozilla/5.0 (PlayStation 5 3.11) AppleWebKit/605.1.15 (KHTML, like Gecko)',
  snapchatInApp:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/12.56.0.38 (like Safari/8616.1.0.0.1, panda)',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  facebook: 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  slack: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  whatsapp: 'WhatsApp/2.23.20.0 A',
  curl: 'curl/8.0.1',
};

describe('describeVisitor: the user agent', () => {
  it('Chrome on Windows is a desktop Chrome on Windows', () => {
    expect(describeVisitor(null, UA.chromeWindows)).toEqual({
      ip: null,
      country: null,
      deviceType: 'desktop',
      browser: 'Chrome',
      os: 'Windows',
      isBot: false,
    });
  });

  it('Safari on an iPhone is a mobile Mobile Safari on iOS', () => {
    const v = describeVisitor(null, UA.safariIphone);
    expect([v.deviceType, v.browser, v.os, v.isBot]).toEqual(['mobile', 'Mobile Safari', 'iOS', false]);
  });

  it('an iPad is a tablet', () => {
    const v = describeVisitor(null, UA.safariIpad);
    expect([v.deviceType, v.os]).toEqual(['tablet', 'iOS']);
  });

  it('Chrome on an Android phone is a mobile Chrome on Android', () => {
    // ua-parser-js v1 says 'Chrome' here ('Mobile Chrome' is its name for Chrome on iOS).
    const v = describeVisitor(null, UA.chromeAndroid);
    expect([v.deviceType, v.browser, v.os]).toEqual(['mobile', 'Chrome', 'Android']);
  });

  it('Firefox on a Mac is a desktop Firefox on Mac OS (ua-parser-js v1 spelling)', () => {
    const v = describeVisitor(null, UA.firefoxMac);
    expect([v.deviceType, v.browser, v.os]).toEqual(['desktop', 'Firefox', 'Mac OS']);
  });

  it('passes through smarttv and console device types', () => {
    expect(describeVisitor(null, UA.samsungTv).deviceType).toBe('smarttv');
    expect(describeVisitor(null, UA.playstation).deviceType).toBe('console');
  });

  it('a Snapchat in-app browser is a person, not the Snapchat preview fetcher', () => {
    const v = describeVisitor(null, UA.snapchatInApp);
    expect([v.isBot, v.deviceType, v.os]).toEqual([false, 'mobile', 'iOS']);
  });

  it.each([
    ['Googlebot', UA.googlebot],
    ['facebookexternalhit/1.1', UA.facebook],
    ['Slackbot-LinkExpanding', UA.slack],
    ['WhatsApp/2.23', UA.whatsapp],
    ['curl/8.0', UA.curl],
  ])('%s is a bot with device type bot', (_label, ua) => {
    const v = describeVisitor(null, ua);
    expect(v.isBot).toBe(true);
    expect(v.deviceType).toBe('bot');
  });

  it.each([
    'Facebot',
    'Twitterbot/1.0',
    'Slack-ImgProxy (+https://api.slack.com/robots)',
    'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)',
    'TelegramBot (like TwitterBot)',
    'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
    'Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5',
    'Iframely/1.3.1 (+https://iframely.com/docs/about)',
    'Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)',
    'Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1)',
    'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 (compatible; Google-InspectionTool/1.0)',
    'Pinterestbot/1.0 (+http://www.pinterest.com/bot.html)',
    'Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)',
    'W3C_Validator/1.3',
    'bitlybot/3.0 (+http://bit.ly/)',
    'Snapchat/1.0',
    'Viber/20.0',
    'Mastodon/4.2.0 (http.rb/5.1.1; +https://mastodon.social/)',
    'FACEBOOKEXTERNALHIT/1.1',
    'slackbot 1.0',
  ])('link-preview fetcher %j is a bot', (ua) => {
    expect(describeVisitor(null, ua).isBot).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
  ])('a %s user agent is a bot (no browser sends none)', (_label, ua) => {
    expect(describeVisitor(null, ua)).toEqual({
      ip: null,
      country: null,
      deviceType: 'bot',
      browser: null,
      os: null,
      isBot: true,
    });
  });
});

describe('describeVisitor: the country', () => {
  it.each([
    ['8.8.8.8', 'US'],
    ['81.2.69.160', 'GB'],
    ['::ffff:81.2.69.160', 'GB'],
    ['10.0.0.1', null],
    ['127.0.0.1', null],
    ['192.168.1.10', null],
    ['::1', null],
    ['not an ip', null],
  ])('%s is in %s', (ip, country) => {
    const v = describeVisitor(ip, UA.chromeWindows);
    expect(v.country).toBe(country);
    expect(v.ip).toBe(ip);
  });

  it('is null without an ip', () => {
    expect(describeVisitor(null, UA.chromeWindows).country).toBeNull();
  });
});

describe('geoip-lite', () => {
  it('is loaded on the first lookup, not on import, and only once', () => {
    let loads = 0;
    jest.isolateModules(() => {
      jest.doMock('geoip-lite', () => {
        loads++;
        return { lookup: (ip: string) => (ip === '1.2.3.4' ? { country: 'ZZ' } : null) };
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('../../subgraphs/links/src/domain/visitor') as typeof import('../../subgraphs/links/src/domain/visitor');
      expect(loads).toBe(0);
      expect(fresh.describeVisitor(null, UA.chromeWindows).country).toBeNull();
      expect(loads).toBe(0);
      expect(fresh.describeVisitor('1.2.3.4', UA.chromeWindows).country).toBe('ZZ');
      expect(fresh.describeVisitor('5.6.7.8', UA.chromeWindows).country).toBeNull();
      expect(loads).toBe(1);
    });
    jest.dontMock('geoip-lite');
  });
});

describe('clientIp', () => {
  it('ignores X-Forwarded-For from an untrusted remote', () => {
    expect(clientIp('203.0.113.9', '198.51.100.1', ['loopback'])).toBe('203.0.113.9');
    expect(clientIp('203.0.113.9', '198.51.100.1', [])).toBe('203.0.113.9');
  });

  it('takes the right-most untrusted entry through a trusted loopback proxy', () => {
    // The client may have sent its own X-Forwarded-For (1.1.1.1); only the entry the proxy added counts.
    expect(clientIp('127.0.0.1', '1.1.1.1, 198.51.100.7', ['loopback'])).toBe('198.51.100.7');
  });

  it('walks a chain of two trusted proxies', () => {
    // client -> edge 10.0.0.5 -> local proxy 127.0.0.1 -> us
    expect(clientIp('127.0.0.1', '9.9.9.9, 198.51.100.7, 10.0.0.5', ['loopback', 'uniquelocal'])).toBe('198.51.100.7');
    // The same chain with only loopback trusted stops at the edge.
    expect(clientIp('127.0.0.1', '9.9.9.9, 198.51.100.7, 10.0.0.5', ['loopback'])).toBe('10.0.0.5');
  });

  it('accepts CIDRs and single IPs as trusted proxies', () => {
    expect(clientIp('172.31.4.4', '198.51.100.7', ['172.31.0.0/16'])).toBe('198.51.100.7');
    expect(clientIp('172.31.4.4', '198.51.100.7', ['172.31.4.5'])).toBe('172.31.4.4');
  });

  it('is the remote address when a trusted proxy sent no header', () => {
    expect(clientIp('127.0.0.1', undefined, ['loopback'])).toBe('127.0.0.1');
  });

  it('strips the IPv4-mapped IPv6 prefix', () => {
    expect(clientIp('::ffff:203.0.113.9', undefined, [])).toBe('203.0.113.9');
    expect(clientIp('::FFFF:203.0.113.9', undefined, [])).toBe('203.0.113.9');
    // A mapped loopback is still loopback for trust, and a mapped forwarded entry is unmapped too.
    expect(clientIp('::ffff:127.0.0.1', '::ffff:198.51.100.7', ['loopback'])).toBe('198.51.100.7');
  });

  it('keeps a real IPv6 address', () => {
    expect(clientIp('2001:db8::1', undefined, [])).toBe('2001:db8::1');
    expect(clientIp('::1', '2001:db8::7', ['loopback'])).toBe('2001:db8::7');
  });

  it('is null without a remote address, or when a trusted proxy forwarded something that is not an IP', () => {
    expect(clientIp(undefined, '198.51.100.7', ['loopback'])).toBeNull();
    expect(clientIp('', '198.51.100.7', ['loopback'])).toBeNull();
    expect(clientIp('127.0.0.1', 'unknown', ['loopback'])).toBeNull();
  });

  it('throws on a trusted proxy entry that is not an IP, CIDR or range name', () => {
    expect(() => clientIp('127.0.0.1', undefined, ['my-proxy'])).toThrow(/invalid IP address/);
  });
});
