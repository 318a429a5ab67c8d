/**
 * Who the fake site bills: names (many non-ASCII on purpose), companies, addresses and the tax
 * region each address falls in. Accounting sinks must carry these names through unchanged.
 */
import type { Customer } from 'chargebee';
import type { CurrencyCode } from './catalog.js';
import type { SeededRandom } from './prng.js';

export const FIRST_NAMES = [
  'Zoë',
  'José',
  'Søren',
  'François',
  'Łukasz',
  'Ægir',
  'Anna',
  'Ben',
  'Chloé',
  'Dmitri',
  'Emma',
  'Farid',
  'Greta',
  'Hiroshi',
  'Ingrid',
  'Jamal',
  'Kenji',
  'Léa',
  'Mateo',
  'Nia',
  'Olivia',
  'Priya',
  'Quentin',
  'Rosa',
  'Sven',
  'Tomás',
  'Uma',
  'Víctor',
  'Wen',
  'Yusuf',
  'Åsa',
  'Çağla',
] as const;

export const LAST_NAMES = [
  'Ångström',
  'Núñez',
  'Kierkegård',
  'Müller',
  'Wałęsa',
  'Smith',
  "O'Brien",
  'Schröder',
  'Dubois',
  'Tanaka',
  'Rossi',
  'García',
  'Nguyen',
  'Kowalski',
  'Johansson',
  'Öztürk',
  'van der Berg',
  'Björk',
  'Patel',
  'Lefèvre',
] as const;

export const COMPANY_BASES = [
  'Globex',
  'Initech',
  'Umbrella',
  'Ærø Shipping',
  'Østergaard & Søn',
  'Hooli',
  'Pied Piper',
  'Soylent',
  'Vandelay',
  'Kaffee & Kuchen',
  'Tyrell',
  'Cyberdyne',
  'Oceanic',
  'Nakatomi',
  'Señor Frog’s',
  'Château Lumière',
  'Blue Fjord',
  'Zürich Analytics',
  'Crème Digital',
  'Northwind',
] as const;

export const COMPANY_SUFFIX: Readonly<Record<string, readonly string[]>> = {
  US: ['Inc.', 'LLC', 'Corp.'],
  DE: ['GmbH', 'AG'],
  FR: ['SARL', 'SAS'],
  NL: ['B.V.'],
  GB: ['Ltd', 'PLC'],
  JP: ['K.K.'],
  KW: ['Trading Co. W.L.L.'],
};

export interface TaxRegion {
  /** Rate in basis points (725 = 7.25 %). */
  rateBps: number;
  taxName: string;
  jurisType: 'country' | 'state';
  jurisName: string;
  jurisCode: string;
}

export interface Place {
  country: string;
  state?: string;
  stateCode?: string;
  city: string;
  zip: string;
  line1: string;
  tax: TaxRegion;
}

const PLACES: Readonly<Record<string, readonly Place[]>> = {
  US: [
    {
      country: 'US',
      state: 'California',
      stateCode: 'CA',
      city: 'San Francisco',
      zip: '94107',
      line1: '500 Howard Street',
      tax: { rateBps: 725, taxName: 'CA State Tax', jurisType: 'state', jurisName: 'California', jurisCode: '06' },
    },
    {
      country: 'US',
      state: 'New York',
      stateCode: 'NY',
      city: 'New York',
      zip: '10013',
      line1: '110 Hudson Street',
      tax: { rateBps: 400, taxName: 'NY State Tax', jurisType: 'state', jurisName: 'New York', jurisCode: '36' },
    },
    {
      country: 'US',
      state: 'Oregon',
      stateCode: 'OR',
      city: 'Portland',
      zip: '97205',
      line1: '1120 SW 5th Avenue',
      tax: { rateBps: 0, taxName: 'OR State Tax', jurisType: 'state', jurisName: 'Oregon', jurisCode: '41' },
    },
  ],
  DE: [
    {
      country: 'DE',
      city: 'München',
      zip: '80331',
      line1: 'Marienplatz 8',
      tax: { rateBps: 1900, taxName: 'DE VAT', jurisType: 'country', jurisName: 'Germany', jurisCode: 'DE' },
    },
  ],
  FR: [
    {
      country: 'FR',
      city: 'Paris',
      zip: '75002',
      line1: '12 Rue de la Paix',
      tax: { rateBps: 2000, taxName: 'FR TVA', jurisType: 'country', jurisName: 'France', jurisCode: 'FR' },
    },
  ],
  NL: [
    {
      country: 'NL',
      city: 'Amsterdam',
      zip: '1012 JS',
      line1: 'Damrak 70',
      tax: { rateBps: 2100, taxName: 'NL BTW', jurisType: 'country', jurisName: 'Netherlands', jurisCode: 'NL' },
    },
  ],
  GB: [
    {
      country: 'GB',
      city: 'London',
      zip: 'EC2A 4NE',
      line1: '1 Finsbury Avenue',
      tax: { rateBps: 2000, taxName: 'UK VAT', jurisType: 'country', jurisName: 'United Kingdom', jurisCode: 'GB' },
    },
  ],
  JP: [
    {
      country: 'JP',
      state: '東京都',
      stateCode: '13',
      city: '千代田区',
      zip: '100-0005',
      line1: '丸の内1-1-1',
      tax: { rateBps: 1000, taxName: 'JP Consumption Tax', jurisType: 'country', jurisName: 'Japan', jurisCode: 'JP' },
    },
  ],
  KW: [
    {
      country: 'KW',
      city: 'Kuwait City',
      zip: '13001',
      line1: 'Al Soor Street, Block 3',
      tax: { rateBps: 0, taxName: 'KW VAT', jurisType: 'country', jurisName: 'Kuwait', jurisCode: 'KW' },
    },
  ],
};

export const COUNTRIES_BY_CURRENCY: Readonly<Record<CurrencyCode, readonly string[]>> = {
  USD: ['US'],
  EUR: ['DE', 'FR', 'NL'],
  GBP: ['GB'],
  JPY: ['JP'],
  KWD: ['KW'],
};

export function placeFor(random: SeededRandom, currency: CurrencyCode): Place {
  const country = random.pick(COUNTRIES_BY_CURRENCY[currency]);
  const places = PLACES[country];
  if (!places) throw new Error(`people: no places for ${country}`);
  return random.pick(places);
}

export function billingAddress(place: Place, who: { first_name?: string; last_name?: string; company?: string }): NonNullable<Customer['billing_address']> {
  return {
    ...(who.first_name ? { first_name: who.first_name } : {}),
    ...(who.last_name ? { last_name: who.last_name } : {}),
    ...(who.company ? { company: who.company } : {}),
    line1: place.line1,
    ...(place.country === 'US' ? { line2: 'Suite 400' } : {}),
    city: place.city,
    ...(place.stateCode ? { state_code: place.stateCode } : {}),
    ...(place.state ? { state: place.state } : {}),
    country: place.country,
    zip: place.zip,
    validation_status: 'not_validated',
  };
}

/** Plain-ASCII local part for emails built from names like "Zoë Ångström". */
export function emailLocalPart(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[Łł]/g, 'l')
    .replace(/[Øø]/g, 'o')
    .replace(/[Ææ]/g, 'ae')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '.')
    .replace(/^\.|\.$/g, '');
  return ascii === '' ? 'billing' : ascii;
}
