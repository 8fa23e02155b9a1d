import { registerEnumType } from 'type-graphql';

/**
 * The DPV categories ("Post fra det offentlige innenfor …", tjenestekode/utgave 4255/1–10) and
 * confidential post ("Taushetsbelagt post", 5504/1). The value is the code as Altinn writes it.
 */
export enum DpvService {
  PLAN_BYGG_GEODATA = '4255/1',
  HELSE_SOSIAL_OMSORG = '4255/2',
  OPPVEKST_UTDANNING = '4255/3',
  KULTUR_IDRETT_FRITID = '4255/4',
  TRAFIKK_REISER_SAMFERDSEL = '4255/5',
  NATUR_MILJO = '4255/6',
  NAERINGSUTVIKLING = '4255/7',
  SKATTER_AVGIFTER = '4255/8',
  TEKNISKE_TJENESTER = '4255/9',
  ADMINISTRASJON = '4255/10',
  TAUSHETSBELAGT = '5504/1',
}

registerEnumType(DpvService, {
  name: 'DpvService',
  description:
    'A DPV service: one of the ten categories (4255/1–10) or confidential post (5504/1).',
  valuesConfig: {
    PLAN_BYGG_GEODATA: { description: '4255/1 plan, bygg og geodata' },
    HELSE_SOSIAL_OMSORG: { description: '4255/2 helse, sosial og omsorg' },
    OPPVEKST_UTDANNING: { description: '4255/3 oppvekst og utdanning' },
    KULTUR_IDRETT_FRITID: { description: '4255/4 kultur, idrett og fritid' },
    TRAFIKK_REISER_SAMFERDSEL: { description: '4255/5 trafikk, reiser og samferdsel' },
    NATUR_MILJO: { description: '4255/6 natur og miljø' },
    NAERINGSUTVIKLING: { description: '4255/7 næringsutvikling' },
    SKATTER_AVGIFTER: { description: '4255/8 skatter og avgifter' },
    TEKNISKE_TJENESTER: { description: '4255/9 tekniske tjenester' },
    ADMINISTRASJON: { description: '4255/10 administrasjon' },
    TAUSHETSBELAGT: {
      description: '5504/1 taushetsbelagt post: hidden until the enhet grants access to it',
    },
  },
});

export const CONFIDENTIAL = DpvService.TAUSHETSBELAGT;

/** Every ordinary (not confidential) DPV service code. */
export const ORDINARY_SERVICES: readonly DpvService[] = Object.values(DpvService).filter(
  (s) => s !== CONFIDENTIAL,
);

export enum Language {
  NB = 'nb',
  NN = 'nn',
  EN = 'en',
}

registerEnumType(Language, { name: 'Language', description: 'Språk: bokmål, nynorsk or English.' });
