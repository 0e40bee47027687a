/**
 * The visitor's platform, from the User-Agent, so the right apps come first without any
 * script. Names match the `platforms` of mod_register_apps' catalogue.
 */
export type Platform = 'Android' | 'iOS' | 'Windows' | 'macOS' | 'Linux';

export function detectPlatform(userAgent: string | undefined): Platform | undefined {
  if (!userAgent) return undefined;
  // Order matters: Android UAs also say Linux, iOS UAs also say "like Mac OS X".
  if (/Android/i.test(userAgent)) return 'Android';
  if (/iPhone|iPad|iPod/i.test(userAgent)) return 'iOS';
  if (/Windows/i.test(userAgent)) return 'Windows';
  if (/Mac OS X|Macintosh/i.test(userAgent)) return 'macOS';
  if (/Linux|X11|CrOS/i.test(userAgent)) return 'Linux';
  return undefined;
}
