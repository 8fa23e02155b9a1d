import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW,
  addDays,
  easterSunday,
  holidayOn,
  nextAllowedMoment,
  norwegianHolidays,
  osloDate,
  osloDateTime,
  osloTime,
  osloWeekday,
  windowProblem,
  type SendingWindow,
} from '../../subgraphs/varsling/domain/calendar.js';

const EASTER: Record<number, string> = {
  2024: '2024-03-31',
  2025: '2025-04-20',
  2026: '2026-04-05',
  2027: '2027-03-28',
  2028: '2028-04-16',
  2029: '2029-04-01',
  2030: '2030-04-21',
};

/** Holidays as published in Norwegian calendars, in date order. */
const HOLIDAYS: Record<number, [string, string][]> = {
  2024: [
    ['2024-01-01', 'Første nyttårsdag'],
    ['2024-03-28', 'Skjærtorsdag'],
    ['2024-03-29', 'Langfredag'],
    ['2024-03-31', 'Første påskedag'],
    ['2024-04-01', 'Andre påskedag'],
    ['2024-05-01', 'Offentlig høytidsdag'],
    ['2024-05-09', 'Kristi himmelfartsdag'],
    ['2024-05-17', 'Grunnlovsdag'],
    ['2024-05-19', 'Første pinsedag'],
    ['2024-05-20', 'Andre pinsedag'],
    ['2024-12-25', 'Første juledag'],
    ['2024-12-26', 'Andre juledag'],
  ],
  2025: [
    ['2025-01-01', 'Første nyttårsdag'],
    ['2025-04-17', 'Skjærtorsdag'],
    ['2025-04-18', 'Langfredag'],
    ['2025-04-20', 'Første påskedag'],
    ['2025-04-21', 'Andre påskedag'],
    ['2025-05-01', 'Offentlig høytidsdag'],
    ['2025-05-17', 'Grunnlovsdag'],
    ['2025-05-29', 'Kristi himmelfartsdag'],
    ['2025-06-08', 'Første pinsedag'],
    ['2025-06-09', 'Andre pinsedag'],
    ['2025-12-25', 'Første juledag'],
    ['2025-12-26', 'Andre juledag'],
  ],
  2026: [
    ['2026-01-01', 'Første nyttårsdag'],
    ['2026-04-02', 'Skjærtorsdag'],
    ['2026-04-03', 'Langfredag'],
    ['2026-04-05', 'Første påskedag'],
    ['2026-04-06', 'Andre påskedag'],
    ['2026-05-01', 'Offentlig høytidsdag'],
    ['2026-05-14', 'Kristi himmelfartsdag'],
    ['2026-05-17', 'Grunnlovsdag'],
    ['2026-05-24', 'Første pinsedag'],
    ['2026-05-25', 'Andre pinsedag'],
    ['2026-12-25', 'Første juledag'],
    ['2026-12-26', 'Andre juledag'],
  ],
  // Whit Monday falls on 17 May: both are listed.
  2027: [
    ['2027-01-01', 'Første nyttårsdag'],
    ['2027-03-25', 'Skjærtorsdag'],
    ['2027-03-26', 'Langfredag'],
    ['2027-03-28', 'Første påskedag'],
    ['2027-03-29', 'Andre påskedag'],
    ['2027-05-01', 'Offentlig høytidsdag'],
    ['2027-05-06', 'Kristi himmelfartsdag'],
    ['2027-05-16', 'Første pinsedag'],
    ['2027-05-17', 'Grunnlovsdag'],
    ['2027-05-17', 'Andre pinsedag'],
    ['2027-12-25', 'Første juledag'],
    ['2027-12-26', 'Andre juledag'],
  ],
};

const utc = (iso: string) => new Date(iso);

describe('holidays', () => {
  it('finds Easter Sunday for 2024–2030', () => {
    for (const [year, date] of Object.entries(EASTER)) expect(easterSunday(+year), year).toBe(date);
  });

  it('lists every holiday of 2024–2027 by date and name', () => {
    for (const [year, expected] of Object.entries(HOLIDAYS)) {
      const actual = norwegianHolidays(+year).map((h) => [h.date, h.name]);
      expect(actual, year).toEqual(expected);
    }
  });

  it('has twelve holidays every year 2024–2030, in date order, with Easter among them', () => {
    for (const [year, easter] of Object.entries(EASTER)) {
      const holidays = norwegianHolidays(+year);
      expect(holidays, year).toHaveLength(12);
      const dates = holidays.map((h) => h.date);
      expect(dates, year).toEqual([...dates].sort());
      expect(holidayOn(easter)).toBe('Første påskedag');
      expect(holidayOn(addDays(easter, 39))).toBe('Kristi himmelfartsdag');
    }
  });

  it('names the holiday on a date, both when two coincide, null otherwise', () => {
    expect(holidayOn('2026-04-03')).toBe('Langfredag');
    expect(holidayOn('2026-04-04')).toBeNull();
    expect(holidayOn('2026-12-24')).toBeNull();
    expect(holidayOn('2027-05-17')).toBe('Grunnlovsdag og Andre pinsedag');
  });
});

describe('Oslo time', () => {
  it('reads date, time and ISO weekday in Europe/Oslo', () => {
    const lateNewYearsEve = utc('2025-12-31T23:30:00Z'); // 00:30 on 1 January in Oslo
    expect(osloDate(lateNewYearsEve)).toBe('2026-01-01');
    expect(osloTime(lateNewYearsEve)).toBe('00:30');
    expect(osloWeekday(lateNewYearsEve)).toBe(4);
    expect(osloTime(utc('2026-07-01T10:00:00Z'))).toBe('12:00');
    expect(osloWeekday(utc('2026-03-29T12:00:00Z'))).toBe(7);
  });

  it('finds the instant of a local time in winter, summer and around the changes', () => {
    expect(osloDateTime('2026-01-15', '08:00')).toEqual(utc('2026-01-15T07:00:00Z'));
    expect(osloDateTime('2026-07-15', '08:00')).toEqual(utc('2026-07-15T06:00:00Z'));
    expect(osloDateTime('2026-03-29', '08:00')).toEqual(utc('2026-03-29T06:00:00Z'));
    expect(osloDateTime('2026-10-25', '08:00')).toEqual(utc('2026-10-25T07:00:00Z'));
    // Skipped in spring: the clock reads 03:30. Repeated in autumn: the first one.
    expect(osloDateTime('2026-03-29', '02:30')).toEqual(utc('2026-03-29T01:30:00Z'));
    expect(osloDateTime('2026-10-25', '02:30')).toEqual(utc('2026-10-25T00:30:00Z'));
  });

  it('adds days across months, years and DST changes', () => {
    expect(addDays('2026-03-28', 2)).toBe('2026-03-30');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
  });
});

describe('nextAllowedMoment', () => {
  it('leaves a moment inside the window unchanged', () => {
    for (const iso of [
      '2025-01-08T11:34:56.789Z',
      '2025-01-08T07:00:00Z',
      '2025-01-08T14:59:59Z',
    ]) {
      expect(nextAllowedMoment(utc(iso))).toEqual({ at: utc(iso), deferrals: [] });
    }
  });

  it('moves a moment before hours to 08:00 the same day', () => {
    expect(nextAllowedMoment(utc('2025-01-08T05:15:00Z'))).toEqual({
      at: utc('2025-01-08T07:00:00Z'),
      deferrals: [{ reason: 'BEFORE_HOURS', date: '2025-01-08', detail: '06:15 is before 08:00' }],
    });
  });

  it('moves Friday 16:30 over the weekend to Monday 08:00', () => {
    expect(nextAllowedMoment(utc('2025-01-10T15:30:00Z'))).toEqual({
      at: utc('2025-01-13T07:00:00Z'),
      deferrals: [
        { reason: 'AFTER_HOURS', date: '2025-01-10', detail: '16:30 is after 16:00' },
        { reason: 'NOT_A_SENDING_DAY', date: '2025-01-11', detail: 'lørdag' },
        { reason: 'NOT_A_SENDING_DAY', date: '2025-01-12', detail: 'søndag' },
      ],
    });
    expect(nextAllowedMoment(utc('2025-01-10T15:00:00Z')).deferrals[0]?.detail).toBe(
      '16:00 is when the window closes',
    );
  });

  it('moves any hour of Maundy Thursday over Easter to Tuesday 08:00', () => {
    for (let hour = 0; hour < 24; hour++) {
      const at = osloDateTime('2026-04-02', `${String(hour).padStart(2, '0')}:00`);
      expect(nextAllowedMoment(at).at, `${hour}:00`).toEqual(utc('2026-04-07T06:00:00Z'));
    }
    expect(nextAllowedMoment(osloDateTime('2026-04-02', '10:00')).deferrals).toEqual([
      { reason: 'HOLIDAY', date: '2026-04-02', detail: 'Skjærtorsdag' },
      { reason: 'HOLIDAY', date: '2026-04-03', detail: 'Langfredag' },
      { reason: 'NOT_A_SENDING_DAY', date: '2026-04-04', detail: 'lørdag' },
      { reason: 'HOLIDAY', date: '2026-04-05', detail: 'Første påskedag' },
      { reason: 'HOLIDAY', date: '2026-04-06', detail: 'Andre påskedag' },
    ]);
  });

  it('moves 16 May after hours over 17 May to 18 May 08:00 (2028)', () => {
    // 2028: 16, 17 and 18 May are Tuesday to Thursday; Ascension is 25 May, Whit Monday 5 June.
    const weekday = (d: string) => osloWeekday(osloDateTime(d, '12:00'));
    expect(['2028-05-16', '2028-05-17', '2028-05-18'].map(weekday)).toEqual([2, 3, 4]);
    expect(holidayOn('2028-05-18')).toBeNull();
    expect(nextAllowedMoment(osloDateTime('2028-05-16', '17:00'))).toEqual({
      at: utc('2028-05-18T06:00:00Z'),
      deferrals: [
        { reason: 'AFTER_HOURS', date: '2028-05-16', detail: '17:00 is after 16:00' },
        { reason: 'HOLIDAY', date: '2028-05-17', detail: 'Grunnlovsdag' },
      ],
    });
  });

  it('lands at 08:00 local across the DST changes', () => {
    // Friday 16:30 CET → Monday 08:00 CEST (summer time starts Sunday 29 March 2026).
    expect(nextAllowedMoment(utc('2026-03-27T15:30:00Z')).at).toEqual(utc('2026-03-30T06:00:00Z'));
    // Friday 17:00 CEST → Monday 08:00 CET (summer time ends Sunday 25 October 2026).
    expect(nextAllowedMoment(utc('2026-10-23T15:00:00Z')).at).toEqual(utc('2026-10-26T07:00:00Z'));
    const sunday = { days: [7], start: '08:00', end: '16:00', skipHolidays: false };
    expect(nextAllowedMoment(utc('2026-03-28T12:00:00Z'), sunday).at).toEqual(
      utc('2026-03-29T06:00:00Z'),
    );
    expect(nextAllowedMoment(utc('2026-10-24T12:00:00Z'), sunday).at).toEqual(
      utc('2026-10-25T07:00:00Z'),
    );
  });

  it('follows a custom window: every day 09–17, holidays included', () => {
    const always: SendingWindow = {
      days: [1, 2, 3, 4, 5, 6, 7],
      start: '09:00',
      end: '17:00',
      skipHolidays: false,
    };
    const thursday = osloDateTime('2026-04-02', '10:00');
    expect(nextAllowedMoment(thursday, always)).toEqual({ at: thursday, deferrals: [] });
    expect(nextAllowedMoment(osloDateTime('2026-04-04', '08:30'), always).at).toEqual(
      osloDateTime('2026-04-04', '09:00'),
    );
    expect(nextAllowedMoment(osloDateTime('2025-12-24', '17:00'), always)).toEqual({
      at: osloDateTime('2025-12-25', '09:00'),
      deferrals: [
        { reason: 'AFTER_HOURS', date: '2025-12-24', detail: '17:00 is when the window closes' },
      ],
    });
  });

  it('refuses an invalid window', () => {
    expect(() => nextAllowedMoment(new Date(), { ...DEFAULT_WINDOW, days: [] })).toThrow(
      /no sending days/,
    );
  });
});

describe('windowProblem', () => {
  const w = (patch: Partial<SendingWindow>) => windowProblem({ ...DEFAULT_WINDOW, ...patch });

  it('accepts the default window and one ending at midnight', () => {
    expect(windowProblem(DEFAULT_WINDOW)).toBeNull();
    expect(w({ days: [6, 7], start: '00:00', end: '24:00' })).toBeNull();
  });

  it('names each problem', () => {
    expect(w({ days: [] })).toBe('no sending days');
    expect(w({ days: [1, 0] })).toMatch(/day 0 is not an ISO weekday/);
    expect(w({ days: [8] })).toMatch(/day 8 is not an ISO weekday/);
    expect(w({ days: [1.5] })).toMatch(/day 1.5 is not an ISO weekday/);
    expect(w({ start: '8:00' })).toMatch(/start "8:00" is not a time/);
    expect(w({ start: '24:00' })).toMatch(/start "24:00" is not a time/);
    expect(w({ end: '16:60' })).toMatch(/end "16:60" is not a time/);
    expect(w({ start: '16:00', end: '08:00' })).toBe('start 16:00 is not before end 08:00');
    expect(w({ start: '08:00', end: '08:00' })).toBe('start 08:00 is not before end 08:00');
  });
});
