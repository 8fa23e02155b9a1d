import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { NoticeClassification } from '../../domain/classification.js';

/** The filters of Enhetsregisteret's EnhetFilter a mass sending may select by. */
export interface SelectionFilter {
  kommunenummer?: string | null;
  postnummer?: string | null;
  naeringskode?: string | null;
  organisasjonsform?: string[] | null;
  fraAntallAnsatte?: number | null;
  tilAntallAnsatte?: number | null;
  konkurs?: boolean | null;
  underAvvikling?: boolean | null;
  registrertIMvaregisteret?: boolean | null;
}

/**
 * Whether the selection is limited geographically (kommune, postnummer) or demographically
 * (næringskode, organisasjonsform, size by employees), as the varslingsstrategi asks of mass
 * use of varslingsadresser ("Avgrensning av masseutsendelser"). Flags such as konkurs alone do
 * not narrow it to selected enheter.
 */
export function isLimited(f: SelectionFilter): boolean {
  return Boolean(
    f.kommunenummer ||
    f.postnummer ||
    f.naeringskode ||
    (f.organisasjonsform && f.organisasjonsform.length > 0) ||
    f.fraAntallAnsatte != null ||
    f.tilAntallAnsatte != null,
  );
}

/**
 * A servicemelding may go only to a limited selection (a filter that {@link isLimited}, or a
 * list of enheter the sender chose); a varsel, or a message with no notice, may go wide.
 */
export function checkSelection(
  classification: NoticeClassification,
  filter: SelectionFilter | null,
): void {
  if (classification !== NoticeClassification.SERVICEMELDING || !filter || isLimited(filter)) {
    return;
  }
  throw new ClientError(
    ErrorCode.SELECTION_TOO_WIDE,
    'A servicemelding to many must be limited by kommune or postnummer, næringskode, ' +
      'organisasjonsform or number of employees (varslingsstrategi: avgrensning av masseutsendelser).',
    { field: 'filter' },
  );
}
