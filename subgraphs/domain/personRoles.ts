/**
 * Which roles in Enhetsregisteret give a person rights in the enhet, as Altinn derives them
 * (DOMAIN.md, ALTINN-DPV). These are the roles that lead or answer for the enhet: daglig leder
 * (DAGL), styrets leder (LEDE), innehaver of a sole proprietorship (INNH), partners with joint
 * or proportional liability in an ANS or DA (DTSO, DTPR), the komplementar of a KS (KOMP) and
 * the bestyrende reder of a partsrederi (BEST). Altinn gives each of them the "Post/arkiv" right
 * by role. Board members, deputies, contact persons, the accounting firm and the auditor (MEDL,
 * NEST, VARA, KONT, REGN, REVI …) get nothing by role: they act through the one who leads, or by
 * a delegation.
 */
export const POST_ARKIV_ROLES: readonly string[] = [
  'DAGL',
  'LEDE',
  'INNH',
  'DTSO',
  'DTPR',
  'KOMP',
  'BEST',
];

/**
 * The roles that administer the enhet's rights (delegate and withdraw reading, see its persons'
 * contact details): the same leading roles. DAGL, LEDE and INNH alone would leave a partnership
 * (ANS, DA, KS) or a partsrederi, which often has none of them, with nobody to administer it.
 */
export const ADMINISTERING_ROLES: readonly string[] = POST_ARKIV_ROLES;
