/**
 * Word lists and code tables for the synthetic brreg generator. Codes and descriptions are
 * brreg's own (organisasjonsformer, SN2007 næringskoder, sektorkoder, rolletyper); the
 * municipalities are real kommunenummer with a real postnummer/poststed inside each.
 */
import type { Kode } from './types.js';

/** Comma-separated words, so that the lists stay compact. */
const list = (text: string): readonly string[] =>
  text
    .trim()
    .split(/\s*,\s*/)
    .filter(Boolean);

const kode = (k: string, beskrivelse: string): Kode => ({ kode: k, beskrivelse });

export const FORM = {
  AS: kode('AS', 'Aksjeselskap'),
  ENK: kode('ENK', 'Enkeltpersonforetak'),
  FLI: kode('FLI', 'Forening/lag/innretning'),
  ANS: kode('ANS', 'Ansvarlig selskap'),
  DA: kode('DA', 'Selskap med delt ansvar'),
  NUF: kode('NUF', 'Norskregistrert utenlandsk foretak'),
  STI: kode('STI', 'Stiftelse'),
  SA: kode('SA', 'Samvirkeforetak'),
  ASA: kode('ASA', 'Allmennaksjeselskap'),
  BEDR: kode('BEDR', 'Underenhet til næringsdrivende og offentlig forvaltning'),
  AAFY: kode('AAFY', 'Underenhet til ikke-næringsdrivende'),
} as const;

export type FormCode = 'AS' | 'ENK' | 'FLI' | 'ANS' | 'DA' | 'NUF' | 'STI' | 'SA' | 'ASA';

/** Shares of the hovedenheter, roughly as in the real register; they sum to 1. */
export const FORM_WEIGHTS: readonly (readonly [FormCode, number])[] = [
  ['AS', 0.55],
  ['ENK', 0.25],
  ['FLI', 0.08],
  ['ANS', 0.03],
  ['DA', 0.015],
  ['NUF', 0.025],
  ['STI', 0.015],
  ['SA', 0.033],
  ['ASA', 0.002],
];

export const AS_SHARE = 0.55;

export const SEKTOR = {
  privateAs: kode('2100', 'Private aksjeselskaper mv.'),
  personlig: kode('8200', 'Personlig næringsdrivende'),
  ideell: kode('7000', 'Ideelle organisasjoner'),
} as const;

/**
 * Per form: the chance of being in Merverdiavgiftsregisteret, of having registered employees,
 * of having a regnskapsfører and a revisor; and the institusjonell sektorkode, if any.
 */
export interface FormTraits {
  mva: number;
  employs: number;
  regn: number;
  revi: number;
  sektor?: Kode;
}

export const TRAITS: Readonly<Record<FormCode, FormTraits>> = {
  AS: { mva: 0.7, employs: 0.55, regn: 0.85, revi: 0.3, sektor: SEKTOR.privateAs },
  ASA: { mva: 0.9, employs: 1, regn: 0.3, revi: 1, sektor: SEKTOR.privateAs },
  SA: { mva: 0.6, employs: 0.6, regn: 0.6, revi: 0.5 },
  ANS: { mva: 0.6, employs: 0.4, regn: 0.5, revi: 0.1 },
  DA: { mva: 0.6, employs: 0.4, regn: 0.5, revi: 0.1 },
  NUF: { mva: 0.5, employs: 0.5, regn: 0.5, revi: 0.2 },
  ENK: { mva: 0.4, employs: 0.1, regn: 0.25, revi: 0, sektor: SEKTOR.personlig },
  FLI: { mva: 0.1, employs: 0.1, regn: 0.15, revi: 0.05, sektor: SEKTOR.ideell },
  STI: { mva: 0.2, employs: 0.3, regn: 0.3, revi: 1, sektor: SEKTOR.ideell },
};

export const NACE: Readonly<Record<string, string>> = {
  '03.111': 'Hav- og kystfiske',
  '10.710': 'Produksjon av brød og ferske konditorvarer',
  '41.200': 'Oppføring av bygninger',
  '43.210': 'Elektrisk installasjonsarbeid',
  '43.221': 'Rørleggerarbeid',
  '43.320': 'Snekkerarbeid',
  '43.341': 'Malerarbeid',
  '45.200': 'Vedlikehold og reparasjon av motorvogner, unntatt motorsykler',
  '46.900': 'Uspesifisert engroshandel',
  '49.320': 'Drosjebiltransport',
  '49.410': 'Godstransport på vei',
  '55.101': 'Drift av hoteller, pensjonater og moteller med restaurant',
  '56.101': 'Drift av restauranter og kafeer',
  '62.010': 'Programmeringstjenester',
  '62.020': 'Konsulentvirksomhet tilknyttet informasjonsteknologi',
  '64.200': 'Holdingselskaper',
  '68.100': 'Kjøp og salg av egen fast eiendom',
  '68.209': 'Utleie av egen eller leid fast eiendom ellers',
  '69.201': 'Regnskap og bokføring',
  '69.202': 'Revisjon',
  '70.220': 'Bedriftsrådgivning og annen administrativ rådgivning',
  '71.112': 'Arkitekttjenester vedrørende byggverk',
  '71.129': 'Annen teknisk konsulentvirksomhet',
  '74.100': 'Spesialisert designvirksomhet',
  '81.210': 'Rengjøring av bygninger',
  '86.211': 'Allmenn legetjeneste',
  '94.990': 'Aktiviteter i andre interesseorganisasjoner ikke nevnt annet sted',
  '96.021': 'Frisering og annen skjønnhetspleie',
};
export const NACE_CODES = Object.keys(NACE);

export interface Industry {
  /** The word in a company name: "FJORDVIK BYGG AS". */
  word: string;
  /** The word after the owner's name in an ENK's name, or none when no ENK does this. */
  enk?: string;
  /** The word in an English-sounding NUF name. */
  en: string;
  nace: string;
  weight: number;
}

const INDUSTRY_ROWS: readonly (readonly [string, string | undefined, string, string, number])[] = [
  ['BYGG', 'BYGGSERVICE', 'CONSTRUCTION', '41.200', 8],
  ['SNEKKERI', 'SNEKKERVERKSTED', 'CARPENTRY', '43.320', 5],
  ['RØR', 'RØRLEGGERSERVICE', 'PLUMBING', '43.221', 4],
  ['ELEKTRO', 'ELEKTRO', 'ELECTRIC', '43.210', 4],
  ['MALING', 'MALERFIRMA', 'PAINTING', '43.341', 3],
  ['TRANSPORT', 'TRANSPORT', 'LOGISTICS', '49.410', 5],
  ['TAXI', 'TAXI', 'CABS', '49.320', 2],
  ['EIENDOM', 'UTLEIE', 'PROPERTY', '68.209', 10],
  ['EIENDOMSUTVIKLING', undefined, 'DEVELOPMENT', '68.100', 2],
  ['HOLDING', undefined, 'HOLDING', '64.200', 10],
  ['INVEST', undefined, 'INVESTMENTS', '64.200', 4],
  ['KONSULT', 'KONSULENT', 'CONSULTING', '70.220', 7],
  ['DATA', 'DATA', 'SOFTWARE', '62.010', 5],
  ['IT', 'IT-TJENESTER', 'IT SERVICES', '62.020', 3],
  ['REGNSKAP', 'REGNSKAPSTJENESTER', 'ACCOUNTING', '69.201', 1],
  ['BAKERI', 'BAKERI', 'BAKERY', '10.710', 1],
  ['FRISØR', 'FRISØRSALONG', 'HAIR', '96.021', 3],
  ['FISKE', 'FISKE', 'FISHERIES', '03.111', 2],
  ['RESTAURANT', 'KAFÉ', 'RESTAURANTS', '56.101', 3],
  ['HOTELL', undefined, 'HOTELS', '55.101', 1],
  ['RENHOLD', 'RENHOLD', 'CLEANING', '81.210', 2],
  ['BILVERKSTED', 'BILSERVICE', 'AUTO', '45.200', 2],
  ['HANDEL', 'HANDEL', 'TRADING', '46.900', 4],
  ['ARKITEKTER', 'ARKITEKT', 'ARCHITECTS', '71.112', 1],
  ['INGENIØRER', 'INGENIØRTJENESTER', 'ENGINEERING', '71.129', 2],
  ['DESIGN', 'DESIGN', 'DESIGN', '74.100', 1],
  ['LEGESENTER', undefined, 'MEDICAL', '86.211', 1],
];

export const INDUSTRIES: readonly Industry[] = INDUSTRY_ROWS.map(([word, enk, en, nace, weight]) =>
  enk === undefined ? { word, en, nace, weight } : { word, enk, en, nace, weight },
);

export const PLACE_WORDS = list(`
  FJORD, NORD, BERG, VIK, LYS, HAVN, SKOG, SOL, ELV, TIND, VEST, ØST, SØR, FJELL, DAL,
  STRAND, BAKKE, HOLM, LIA, NES, ØY, SJØ, BJØRK, FURU, STEIN, ASK, EIK, LIND, MIDT, NY,
  GULL, SØLV, KYST, VIND, BØLGE, BRE, FOSS, MYR, ÅS, ROS, STJERNE, MÅNE, ODDEN, HEIM,
  LUND, RUD, SAND, TUN
`);

export const FLI_WORDS = list(`
  IDRETTSLAG, VELFORENING, SKYTTERLAG, MUSIKKORPS, HISTORIELAG, BÅTFORENING, SPORTSKLUBB,
  GRENDELAG, KOR, VENNEFORENING, SANITETSFORENING, JEGER- OG FISKERFORENING
`);

export const FOREIGN_WORDS = list(`
  NORDIC, BALTIC, GLOBAL, NORTH SEA, ATLANTIC, EURO, POLAR
`);
export const FOREIGN_SUFFIXES = list(`
  LTD, LIMITED, AB, APS, GMBH, OY, B.V., SP. Z O.O.
`);

export const FORNAVN = list(`
  Kari, Ola, Ingrid, Lars, Nora, Erik, Sofie, Henrik, Maja, Jonas, Anne, Per, Marit, Jan,
  Liv, Knut, Silje, Bjørn, Hilde, Geir, Tone, Arne, Ragnhild, Trond, Eva, Magnus, Ida,
  Sindre, Emma, Håkon, Solveig, Øystein, Kristin, Terje, Astrid, Espen, Camilla, Svein,
  Linn, Tor, Aud, Eirik
`);

export const ETTERNAVN = list(`
  Nordmann, Hansen, Johansen, Olsen, Larsen, Andersen, Pedersen, Nilsen, Kristiansen,
  Jensen, Karlsen, Johnsen, Pettersen, Eriksen, Berg, Haugen, Hagen, Johannessen,
  Andreassen, Jacobsen, Dahl, Jørgensen, Halvorsen, Lie, Henriksen, Lund, Sørensen, Moen,
  Strand, Solberg, Bakken, Eide, Kristoffersen, Rasmussen, Bakke, Lunde, Nygård, Sæther,
  Aas, Myhre, Holm, Haugland, Tveit
`);

export const STREETS = list(`
  Storgata, Kirkegata, Strandgata, Industriveien, Sjøgata, Torggata, Fjordveien,
  Skolegata, Parkveien, Jernbanegata, Havnegata, Nygata, Kongens gate, Dronningens gate,
  Bryggeveien, Fabrikkveien, Næringsveien, Elvegata, Bakkeveien, Åsveien, Løkkeveien,
  Tollbugata, Sandvikveien, Skogveien, Granveien, Bjørkeveien, Lundeveien, Sentrumsveien
`);

export interface Kommune {
  kommunenummer: string;
  kommune: string;
  postnummer: string;
  poststed: string;
  /** Relative number of businesses, so that Oslo gets more than Røros. */
  weight: number;
}

const k = (
  kommunenummer: string,
  kommune: string,
  postnummer: string,
  poststed: string,
  weight: number,
): Kommune => ({
  kommunenummer,
  kommune,
  postnummer,
  poststed,
  weight,
});

export const KOMMUNER: readonly Kommune[] = [
  k('0301', 'OSLO', '0150', 'OSLO', 30),
  k('4601', 'BERGEN', '5003', 'BERGEN', 12),
  k('5001', 'TRONDHEIM', '7011', 'TRONDHEIM', 9),
  k('1103', 'STAVANGER', '4006', 'STAVANGER', 7),
  k('3907', 'SANDEFJORD', '3210', 'SANDEFJORD', 3),
  k('5501', 'TROMSØ', '9008', 'TROMSØ', 4),
  k('4204', 'KRISTIANSAND', '4611', 'KRISTIANSAND S', 5),
  k('3301', 'DRAMMEN', '3015', 'DRAMMEN', 5),
  k('1508', 'ÅLESUND', '6002', 'ÅLESUND', 3),
  k('1804', 'BODØ', '8006', 'BODØ', 3),
  k('1108', 'SANDNES', '4306', 'SANDNES', 4),
  k('3905', 'TØNSBERG', '3110', 'TØNSBERG', 3),
  k('3909', 'LARVIK', '3256', 'LARVIK', 2),
  k('4001', 'PORSGRUNN', '3921', 'PORSGRUNN', 2),
  k('4003', 'SKIEN', '3724', 'SKIEN', 3),
  k('3101', 'HALDEN', '1771', 'HALDEN', 2),
  k('3103', 'MOSS', '1530', 'MOSS', 3),
  k('3105', 'SARPSBORG', '1706', 'SARPSBORG', 3),
  k('3107', 'FREDRIKSTAD', '1606', 'FREDRIKSTAD', 4),
  k('3201', 'BÆRUM', '1337', 'SANDVIKA', 8),
  k('3203', 'ASKER', '1384', 'ASKER', 6),
  k('3205', 'LILLESTRØM', '2000', 'LILLESTRØM', 5),
  k('3207', 'NORDRE FOLLO', '1400', 'SKI', 3),
  k('3209', 'ULLENSAKER', '2050', 'JESSHEIM', 2),
  k('3303', 'KONGSBERG', '3611', 'KONGSBERG', 2),
  k('3305', 'RINGERIKE', '3511', 'HØNEFOSS', 2),
  k('3401', 'KONGSVINGER', '2211', 'KONGSVINGER', 1),
  k('3403', 'HAMAR', '2317', 'HAMAR', 2),
  k('3405', 'LILLEHAMMER', '2609', 'LILLEHAMMER', 2),
  k('3407', 'GJØVIK', '2815', 'GJØVIK', 2),
  k('3903', 'HOLMESTRAND', '3080', 'HOLMESTRAND', 1),
  k('4020', 'MIDT-TELEMARK', '3800', 'BØ I TELEMARK', 1),
  k('4201', 'RISØR', '4950', 'RISØR', 1),
  k('4202', 'GRIMSTAD', '4876', 'GRIMSTAD', 1),
  k('4203', 'ARENDAL', '4836', 'ARENDAL', 2),
  k('4207', 'FLEKKEFJORD', '4400', 'FLEKKEFJORD', 1),
  k('1101', 'EIGERSUND', '4370', 'EGERSUND', 1),
  k('1106', 'HAUGESUND', '5525', 'HAUGESUND', 2),
  k('1149', 'KARMØY', '4250', 'KOPERVIK', 2),
  k('4621', 'VOSS', '5700', 'VOSS', 1),
  k('4627', 'ASKØY', '5300', 'KLEPPESTØ', 1),
  k('4602', 'KINN', '6900', 'FLORØ', 1),
  k('1505', 'KRISTIANSUND', '6509', 'KRISTIANSUND N', 1),
  k('1506', 'MOLDE', '6413', 'MOLDE', 2),
  k('1577', 'VOLDA', '6100', 'VOLDA', 1),
  k('5006', 'STEINKJER', '7713', 'STEINKJER', 1),
  k('5007', 'NAMSOS', '7800', 'NAMSOS', 1),
  k('5025', 'RØROS', '7374', 'RØROS', 1),
  k('1806', 'NARVIK', '8514', 'NARVIK', 1),
  k('1833', 'RANA', '8622', 'MO I RANA', 1),
  k('1860', 'VESTVÅGØY', '8370', 'LEKNES', 1),
  k('5601', 'ALTA', '9510', 'ALTA', 1),
  k('5603', 'HAMMERFEST', '9600', 'HAMMERFEST', 1),
  k('5605', 'SØR-VARANGER', '9900', 'KIRKENES', 1),
];

export const ROLE = {
  DAGL: kode('DAGL', 'Daglig leder/ adm.direktør'),
  STYR: kode('STYR', 'Styre'),
  LEDE: kode('LEDE', 'Styrets leder'),
  NEST: kode('NEST', 'Nestleder'),
  MEDL: kode('MEDL', 'Styremedlem'),
  VARA: kode('VARA', 'Varamedlem'),
  INNH: kode('INNH', 'Innehaver'),
  REGN: kode('REGN', 'Regnskapsfører'),
  REVI: kode('REVI', 'Revisor'),
} as const;
