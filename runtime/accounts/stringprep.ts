/**
 * Prosody's stringprep profiles for account names and passwords (util.encodings, libidn's
 * Nodeprep and SASLprep of RFC 3491/4013 on Unicode 3.2), so a name or password prepared here
 * is the one the real Prosody prepares and hashes.
 *
 * COMPAT: Node has no stringprep tables. ASCII is exact. Beyond ASCII, Nodeprep accepts only
 * scripts whose characters were all assigned in Unicode 3.2 and whose case folding JavaScript
 * reproduces (Latin-1 Supplement, Latin Extended-A, basic Greek and Cyrillic, fullwidth ASCII); other names are
 * refused rather than risk preparing them differently (test/runtime/accounts/stringprep.test.ts
 * compares every accepted character with Prosody's own nodeprep). SASLprep accepts any password
 * except the characters it prohibits, right-to-left scripts (whose bidi rules need tables), and
 * text beyond Latin that Unicode normalization changes (it may hold characters newer than 3.2).
 */

// RFC 3454 B.1: "commonly mapped to nothing".
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/gu;
// C.1.2: non-ASCII spaces (SASLprep maps them to U+0020; Nodeprep prohibits them).
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/gu;
// C.2.1, C.2.2 controls; C.3 private use; C.4 non-characters; C.5 surrogates; C.6-C.9.
const PROHIBITED =
  /[\u0000-\u001F\u007F-\u009F\u06DD\u070F\u180E\u200C\u200D\u2028\u2029\u2060-\u2063\u206A-\u206F\uFEFF\uFFF9-\uFFFD\u0340\u0341\u200E\u200F\u202A-\u202E\u2FF0-\u2FFB\uE000-\uF8FF\uFDD0-\uFDEF\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}\u{F0000}-\u{10FFFF}]|[\uFFFE\uFFFF\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}]|\p{Cs}/u;
// Nodeprep's extra prohibitions (RFC 3920 A.5) and the ASCII space.
const NODEPREP_PROHIBITED = /[ "&'/:<>@]/u;
// Right-to-left scripts: their bidi rules (RFC 3454 section 6) need tables Node does not have.
const RIGHT_TO_LEFT = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFC\u{10800}-\u{10FFF}\u{1E800}-\u{1EFFF}]/u;
// What Nodeprep accepts beyond ASCII (see the COMPAT note above); checked before and after mapping.
const NODE_REPERTOIRE = /^[\u0021-\u007E\uFF01-\uFF5E\u00AA\u00B2\u00B3\u00B5\u00B9\u00BA\u00BC-\u00BE\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u017F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03CE\u0400-\u045F\u0300-\u036F\u2044\u03BC]*$/u;

/** RFC 3454 B.2 case folding for the accepted repertoire: one code point at a time (no Final_Sigma context). */
function caseFold(s: string): string {
  let out = '';
  for (const ch of s) out += ch === '\u00DF' ? 'ss' : ch === '\u0130' ? 'i\u0307' : ch === '\u03C2' ? '\u03C3' : ch.toLowerCase();
  return out;
}

/**
 * The Nodeprep'd username, or `undefined` when Prosody would refuse it (or Canto cannot prepare
 * it exactly): `"Alice"` -> `"alice"`, `"Straße"` -> `"strasse"`, `"a b"` -> undefined.
 */
export function nodeprep(name: string): string | undefined {
  const mapped = name.replace(MAPPED_TO_NOTHING, '');
  if (!NODE_REPERTOIRE.test(mapped)) return undefined;
  const prepared = caseFold(mapped.normalize('NFKC')).normalize('NFKC');
  if (prepared === '' || Buffer.byteLength(prepared) > 1023) return undefined;
  if (!NODE_REPERTOIRE.test(prepared) || /[\uFF01-\uFF5E]/u.test(prepared) || NODEPREP_PROHIBITED.test(prepared) || PROHIBITED.test(prepared)) return undefined;
  return prepared;
}

/**
 * The SASLprep'd password that Prosody hashes, or `undefined` when SASLprep refuses it (a
 * control character, say) or Canto cannot check it (right-to-left text).
 */
export function saslprep(password: string): string | undefined {
  const mapped = password.replace(NON_ASCII_SPACE, ' ').replace(MAPPED_TO_NOTHING, '');
  const prepared = mapped.normalize('NFKC');
  // Characters added after Unicode 3.2 pass Prosody's SASLprep unchanged, but today's NFKC may
  // change them (U+03F9 becomes U+03A3): where NFKC changes text beyond Latin, refuse it.
  if (prepared !== mapped && /[^\u0000-\u024F\u0300-\u034E\uFF01-\uFF5E]/u.test(mapped)) return undefined;
  if (prepared === '' || PROHIBITED.test(prepared) || RIGHT_TO_LEFT.test(prepared)) return undefined;
  return prepared;
}
