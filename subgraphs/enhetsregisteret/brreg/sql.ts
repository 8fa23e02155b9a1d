/**
 * brreg JSON → rows, in SQL: each statement takes a batch as one jsonb array ($1), so that a
 * batch of thousands is one round trip and the field mapping lives in one place.
 */

const ENHET_COLUMNS = `
  organisasjonsnummer, navn, organisasjonsform_kode, forretningsadresse, postadresse,
  naeringskode1, naeringskode2, naeringskode3, institusjonell_sektorkode, antall_ansatte,
  har_registrert_antall_ansatte, registreringsdato_enhetsregisteret, stiftelsesdato,
  registrert_i_mvaregisteret, registrert_i_foretaksregisteret, registrert_i_stiftelsesregisteret,
  registrert_i_frivillighetsregisteret, konkurs, under_avvikling,
  under_tvangsavvikling_eller_tvangsopplosning, hjemmeside, maalform, overordnet_enhet_orgnr,
  slettedato`;

/** brreg's fields, typed once by jsonb_to_recordset instead of one lookup per field. */
const ENHET_RECORD = `
  organisasjonsnummer text, navn text, organisasjonsform jsonb, forretningsadresse jsonb,
  postadresse jsonb, naeringskode1 jsonb, naeringskode2 jsonb, naeringskode3 jsonb,
  "institusjonellSektorkode" jsonb, "antallAnsatte" int, "harRegistrertAntallAnsatte" boolean,
  "registreringsdatoEnhetsregisteret" date, stiftelsesdato date,
  "registrertIMvaregisteret" boolean, "registrertIForetaksregisteret" boolean,
  "registrertIStiftelsesregisteret" boolean, "registrertIFrivillighetsregisteret" boolean,
  konkurs boolean, "underAvvikling" boolean, "underTvangsavviklingEllerTvangsopplosning" boolean,
  hjemmeside text, maalform text, "overordnetEnhet" text, slettedato date`;

const ENHET_VALUES = `
  e.organisasjonsnummer, e.navn, e.organisasjonsform->>'kode', e.forretningsadresse,
  e.postadresse, e.naeringskode1, e.naeringskode2, e.naeringskode3,
  e."institusjonellSektorkode", e."antallAnsatte", e."harRegistrertAntallAnsatte",
  e."registreringsdatoEnhetsregisteret", e.stiftelsesdato, e."registrertIMvaregisteret",
  e."registrertIForetaksregisteret", e."registrertIStiftelsesregisteret",
  e."registrertIFrivillighetsregisteret", e.konkurs, e."underAvvikling",
  e."underTvangsavviklingEllerTvangsopplosning", e.hjemmeside, e.maalform, e."overordnetEnhet",
  e.slettedato`;

const updateAll = (columns: string) =>
  columns
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c && c !== 'organisasjonsnummer')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');

/** Organisasjonsformer named in a batch ($1: [{kode, beskrivelse}], distinct); rows refer to them. */
export const UPSERT_FORMER = `
  insert into organisasjonsform (kode, beskrivelse)
  select f->>'kode', f->>'beskrivelse' from jsonb_array_elements($1::jsonb) f
  on conflict (kode) do update set beskrivelse = excluded.beskrivelse`;

/** An enhet replaces what was stored: every column, so fields brreg dropped become null. */
export const UPSERT_ENHETER = `
  insert into enhet (${ENHET_COLUMNS})
  select ${ENHET_VALUES} from jsonb_to_recordset($1::jsonb) as e(${ENHET_RECORD})
  on conflict (organisasjonsnummer) do update set ${updateAll(ENHET_COLUMNS)}`;

const UNDERENHET_COLUMNS = `
  organisasjonsnummer, navn, organisasjonsform_kode, overordnet_enhet_orgnr, beliggenhetsadresse,
  postadresse, naeringskode1, antall_ansatte, har_registrert_antall_ansatte,
  registreringsdato_enhetsregisteret, oppstartsdato, nedleggelsesdato, hjemmeside, slettedato`;

export const UPSERT_UNDERENHETER = `
  insert into underenhet (${UNDERENHET_COLUMNS})
  select e.organisasjonsnummer, e.navn, e.organisasjonsform->>'kode', e."overordnetEnhet",
    e.beliggenhetsadresse, e.postadresse, e.naeringskode1, e."antallAnsatte",
    e."harRegistrertAntallAnsatte", e."registreringsdatoEnhetsregisteret", e.oppstartsdato,
    e.nedleggelsesdato, e.hjemmeside, e.slettedato
  from jsonb_to_recordset($1::jsonb) as e(organisasjonsnummer text, navn text,
    organisasjonsform jsonb, "overordnetEnhet" text, beliggenhetsadresse jsonb, postadresse jsonb,
    naeringskode1 jsonb, "antallAnsatte" int, "harRegistrertAntallAnsatte" boolean,
    "registreringsdatoEnhetsregisteret" date, oppstartsdato date, nedleggelsesdato date,
    hjemmeside text, slettedato date)
  on conflict (organisasjonsnummer) do update set ${updateAll(UNDERENHET_COLUMNS)}`;

/** An enhet's roles are replaced whole: brreg delivers them whole. */
export const DELETE_ROLLER = `
  delete from rolle where organisasjonsnummer in
    (select e->>'organisasjonsnummer' from jsonb_array_elements($1::jsonb) e)`;

export const INSERT_ROLLER = `
  insert into rolle (organisasjonsnummer, rollegruppe_kode, rollegruppe_beskrivelse,
    rollegruppe_sist_endret, type_kode, type_beskrivelse, person_fodselsdato, person_fornavn,
    person_mellomnavn, person_etternavn, person_er_doed, enhet_organisasjonsnummer, enhet_navn,
    enhet_organisasjonsform_kode, enhet_er_slettet, fratraadt, rekkefolge, person_pid)
  select e->>'organisasjonsnummer', g->'type'->>'kode', g->'type'->>'beskrivelse',
    (g->>'sistEndret')::date, r->'type'->>'kode', r->'type'->>'beskrivelse',
    (r->'person'->>'fodselsdato')::date, r->'person'->'navn'->>'fornavn',
    r->'person'->'navn'->>'mellomnavn', r->'person'->'navn'->>'etternavn',
    (r->'person'->>'erDoed')::boolean, r->'enhet'->>'organisasjonsnummer',
    (select string_agg(n, ' ') from jsonb_array_elements_text(r->'enhet'->'navn') n),
    r->'enhet'->'organisasjonsform'->>'kode', (r->'enhet'->>'erSlettet')::boolean,
    coalesce((r->>'fratraadt')::boolean, false), (r->>'rekkefolge')::int,
    r->'person'->>'fodselsnummer'
  from jsonb_array_elements($1::jsonb) with ordinality as es(e, ei),
    jsonb_array_elements(e->'rollegrupper') with ordinality as gs(g, gi),
    jsonb_array_elements(g->'roller') with ordinality as rs(r, ri)
  -- ids follow brreg's order of groups and roles, which the graph gives back
  order by ei, gi, ri`;

const STUB_KEEPS = new Set(['organisasjonsnummer', 'navn', 'organisasjonsform_kode', 'slettedato']);

/** Sletting: brreg keeps a stub (number, name, form, slettedato); every other field is cleared. */
export const SLETT_ENHET = `
  update enhet set slettedato = $2::date, ${ENHET_COLUMNS.split(',')
    .map((c) => c.trim())
    .filter((c) => !STUB_KEEPS.has(c))
    .map((c) => `${c} = null`)
    .join(', ')}
  where organisasjonsnummer = $1`;

/** Fjernet: gone from the register altogether (brreg answers 410 Gone). */
export const FJERN_ENHET = `
  with gone as (delete from enhet where organisasjonsnummer = $1 returning organisasjonsnummer)
  delete from rolle where organisasjonsnummer in (select organisasjonsnummer from gone)`;
