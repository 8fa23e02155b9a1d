/**
 * When a notice may go out: a weekly sending window in Europe/Oslo time, minus Norwegian public
 * holidays (helligdager and the high days 1 and 17 May). Altinn itself sends SMS 09–17 with no
 * holiday logic; a notice outside our window is deferred to the next allowed moment instead.
 */

import { preview } from '../../../platform/graphql/preview.js';

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export interface SendingWindow {
  /** ISO weekdays on which notices may be sent. */
  days: number[];
  /** 'HH:MM', Oslo time, inclusive. */
  start: string;
  /** 'HH:MM', Oslo time, exclusive; '24:00' means end of day. */
  end: string;
  /** Whether public holidays are excluded even when their weekday is a sending day. */
  skipHolidays: boolean;
}

export const DEFAULT_WINDOW: SendingWindow = {
  days: [1, 2, 3, 4, 5],
  start: '08:00',
  end: '16:00',
  skipHolidays: true,
};

export interface Holiday {
  date: string;
  name: string;
}

export interface Deferral {
  reason: 'BEFORE_HOURS' | 'AFTER_HOURS' | 'NOT_A_SENDING_DAY' | 'HOLIDAY';
  /** The Oslo date that was passed over. */
  date: string;
  /** The holiday's name, the weekday's name, or the time against the window. */
  detail: string;
}

const DAY_MS = 86_400_000;
const WEEKDAY_NAMES = ['mandag', 'tirsdag', 'onsdag', 'torsdag', 'fredag', 'lørdag', 'søndag'];

/** Easter Sunday by the anonymous Gregorian computus (Meeus/Jones/Butcher). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/**
 * The twelve holidays of a year, sorted by date. Two may share a date (17 May is Whit Monday in
 * 2027); both are listed, so every year has twelve.
 */
export function norwegianHolidays(year: number): Holiday[] {
  const easter = easterSunday(year);
  const list: Holiday[] = [
    { date: `${year}-01-01`, name: 'Første nyttårsdag' },
    { date: addDays(easter, -3), name: 'Skjærtorsdag' },
    { date: addDays(easter, -2), name: 'Langfredag' },
    { date: easter, name: 'Første påskedag' },
    { date: addDays(easter, 1), name: 'Andre påskedag' },
    { date: `${year}-05-01`, name: 'Offentlig høytidsdag' },
    { date: `${year}-05-17`, name: 'Grunnlovsdag' },
    { date: addDays(easter, 39), name: 'Kristi himmelfartsdag' },
    { date: addDays(easter, 49), name: 'Første pinsedag' },
    { date: addDays(easter, 50), name: 'Andre pinsedag' },
    { date: `${year}-12-25`, name: 'Første juledag' },
    { date: `${year}-12-26`, name: 'Andre juledag' },
  ];
  // Array sort is stable: holidays on the same date keep the order above.
  return list.sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : 0));
}

const holidaysByYear = new Map<number, Map<string, string>>();

/** The holiday's name on that date ('A og B' when two coincide), or `null`. */
export function holidayOn(date: string): string | null {
  const year = Number(date.slice(0, 4));
  let byDate = holidaysByYear.get(year);
  if (!byDate) {
    byDate = new Map();
    for (const h of norwegianHolidays(year)) {
      const other = byDate.get(h.date);
      byDate.set(h.date, other ? `${other} og ${h.name}` : h.name);
    }
    holidaysByYear.set(year, byDate);
  }
  return byDate.get(date) ?? null;
}

/**
 * The first moment at or after `at` inside the window, with the reason for each day (or part of
 * a day) passed over. An `at` inside the window comes back unchanged with no deferrals.
 */
export function nextAllowedMoment(
  at: Date,
  window: SendingWindow = DEFAULT_WINDOW,
): { at: Date; deferrals: Deferral[] } {
  const problem = windowProblem(window);
  if (problem) throw new RangeError(`Invalid sending window: ${problem}`);
  const deferrals: Deferral[] = [];
  let date = osloDate(at);
  const time = osloTime(at);
  const closed = closedReason(date, window);
  if (closed) deferrals.push(closed);
  else if (time < window.start) {
    deferrals.push({ reason: 'BEFORE_HOURS', date, detail: `${time} is before ${window.start}` });
    return { at: osloDateTime(date, window.start), deferrals };
  } else if (time >= window.end) {
    deferrals.push({ reason: 'AFTER_HOURS', date, detail: afterHours(time, window.end) });
  } else return { at, deferrals };
  // Every weekday recurs weekly and holidays are few, so a valid window opens within days.
  for (let i = 0; i < 366; i++) {
    date = addDays(date, 1);
    const reason = closedReason(date, window);
    if (!reason) return { at: osloDateTime(date, window.start), deferrals };
    deferrals.push(reason);
  }
  throw new RangeError('No sending day within a year');
}

function closedReason(date: string, window: SendingWindow): Deferral | null {
  const holiday = window.skipHolidays ? holidayOn(date) : null;
  if (holiday) return { reason: 'HOLIDAY', date, detail: holiday };
  const weekday = weekdayOf(date);
  if (!window.days.includes(weekday)) {
    return { reason: 'NOT_A_SENDING_DAY', date, detail: WEEKDAY_NAMES[weekday - 1]! };
  }
  // Every Sunday is a helligdag (helligdagsfredloven § 2): with holidays skipped, a window
  // that lists day 7 still never sends on a Sunday.
  if (window.skipHolidays && weekday === 7) {
    return { reason: 'HOLIDAY', date, detail: 'søndag (helligdag)' };
  }
  return null;
}

function afterHours(time: string, end: string): string {
  return time === end ? `${time} is when the window closes` : `${time} is after ${end}`;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** What is wrong with a window, or `null` when it is usable. */
export function windowProblem(window: SendingWindow): string | null {
  if (window.days.length === 0) return 'no sending days';
  const bad = window.days.find((d) => !Number.isInteger(d) || d < 1 || d > 7);
  if (bad !== undefined) return `day ${bad} is not an ISO weekday (1 = Monday … 7 = Sunday)`;
  if (!HHMM.test(window.start)) return `start ${preview(window.start)} is not a time HH:MM`;
  if (!HHMM.test(window.end) && window.end !== '24:00') {
    return `end ${preview(window.end)} is not a time HH:MM`;
  }
  if (window.start >= window.end) return `start ${window.start} is not before end ${window.end}`;
  if (window.skipHolidays && window.days.every((d) => d === 7)) {
    return 'Sundays are holidays: with holidays skipped, a window of Sundays only never opens';
  }
  return null;
}

const osloFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Oslo',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

type OsloParts = Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string>;

function osloParts(ms: number): OsloParts {
  const parts = osloFormat.formatToParts(ms).map((p) => [p.type, p.value]);
  return Object.fromEntries(parts) as OsloParts;
}

export function osloDate(at: Date): string {
  const p = osloParts(at.getTime());
  return `${p.year}-${p.month}-${p.day}`;
}

export function osloTime(at: Date): string {
  const p = osloParts(at.getTime());
  return `${p.hour}:${p.minute}`;
}

export function osloWeekday(at: Date): number {
  return weekdayOf(osloDate(at));
}

/** Oslo's offset from UTC at an instant, in ms (+1 h in winter, +2 h in summer). */
function offsetAt(ms: number): number {
  const p = osloParts(ms);
  const local = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return local - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant of a local Oslo date and time. A time that occurs twice (autumn) gives the first;
 * one skipped by the spring change gives the instant an hour later on the clock (02:30 → 03:30).
 */
export function osloDateTime(date: string, time: string): Date {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  if (Number.isNaN(wall)) throw new RangeError(`Not a date and time: ${date} ${time}`);
  // At most one change of offset lies within 12 hours either side.
  const before = wall - offsetAt(wall - DAY_MS / 2);
  const after = wall - offsetAt(wall + DAY_MS / 2);
  const exact = [before, after]
    .filter((ms) => osloDate(new Date(ms)) === date && osloTime(new Date(ms)) === time)
    .sort((a, b) => a - b);
  return new Date(exact[0] ?? before);
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}

function weekdayOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
