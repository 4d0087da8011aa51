import { ConnectionType } from '../../../shared/src';
import { Click } from '../entities/click.entity';
import { Partner } from '../entities/partner.entity';
import { ReferralLink } from '../entities/referral-link.entity';

export const PartnerConnection = ConnectionType('Partner', Partner);
export const ReferralLinkConnection = ConnectionType('ReferralLink', ReferralLink);
export const ClickConnection = ConnectionType('Click', Click);
