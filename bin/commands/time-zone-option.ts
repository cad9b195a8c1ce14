import { parseTimeZone } from '../../core/windows';

/** `--time-zone ±HH:MM` as an offset in ms (0 when absent); a bad value names the option. */
export function timeZoneOption(value: string | undefined): number {
  if (value === undefined) return 0;
  try {
    return parseTimeZone(value);
  } catch (err) {
    throw new Error(`--time-zone: ${(err as Error).message}`);
  }
}
