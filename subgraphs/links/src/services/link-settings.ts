import { DataSource, EntityManager } from 'typeorm';
import { LinkSettings } from '../entities/link-settings.entity';

export const SETTINGS_DEFAULTS = {
  referralPath: '/',
  clickCookieName: 'rgw_click',
  clickCookieDays: 30,
  clickParamName: 'click_id',
  attributionWindowHours: 24,
  partnersRecordClicks: false,
};

/** A tenant's settings, or the defaults until it changes them (nothing is stored for that). */
export async function loadSettings(db: DataSource | EntityManager, tenantId: string, defaultDomain: string): Promise<LinkSettings> {
  const row = await db.getRepository(LinkSettings).findOneBy({ tenantId });
  if (row) row.partnersRecordClicks ??= SETTINGS_DEFAULTS.partnersRecordClicks;
  return row ?? defaultSettings(tenantId, defaultDomain);
}

export function defaultSettings(tenantId: string, defaultDomain: string): LinkSettings {
  return Object.assign(new LinkSettings(), {
    tenantId,
    primaryDomain: defaultDomain,
    regionalDomains: [],
    encryptionKeyId: null,
    updatedAt: new Date(0),
    ...SETTINGS_DEFAULTS,
  });
}

export function settingsFact(s: LinkSettings) {
  return {
    settings: {
      primaryDomain: s.primaryDomain,
      regionalDomains: s.regionalDomains,
      clickCookieName: s.clickCookieName,
      clickParamName: s.clickParamName,
      attributionWindowHours: s.attributionWindowHours,
    },
  };
}
