/**
 * The invite store as the bench sees it: written directly in Prosody's format to pre-fill N
 * pending invites, and read back to check that every 201 left an invite on disk.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { entryText, fileText, parseFields } from '../../runtime/storage/lua-data.js';
import type { StoreTable } from '../../runtime/storage/types.js';

export const HOST = 'example.com';
const WEEK = 7 * 86400;

/** `<data>/example%2ecom/invite_token.dat`, as Prosody's datamanager names it. */
export function inviteFile(dataDir: string): string {
  return join(dataDir, 'example%2ecom', 'invite_token.dat');
}

/** An account invite exactly as mod_invites stores one minted through the API. */
function inviteRecord(token: string, now: number): StoreTable {
  return {
    type: 'register',
    jid: HOST,
    token,
    allow_registration: true,
    uri: `xmpp:${HOST}?register;preauth=${token}`,
    created_at: now,
    expires: now + WEEK,
    additional_data: { source: 'api/token/prefill0000' },
  };
}

/** Write `count` pending invites (none if 0: an empty store is no file, as in Prosody). */
export function prefillInvites(dataDir: string, count: number, now = Math.floor(Date.now() / 1000)): void {
  if (count === 0) return;
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    const token = randomBytes(18).toString('base64url');
    items.push(entryText(token, inviteRecord(token, now)));
  }
  mkdirSync(join(dataDir, 'example%2ecom'), { recursive: true, mode: 0o750 });
  writeFileSync(inviteFile(dataDir), fileText(items), { mode: 0o640 });
}

function countFields(file: string, wrap: (text: string) => string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  return parseFields(wrap(text), file).length;
}

/** How many invites the store file holds now (0 when there is no file). */
export function countInvites(dataDir: string): number {
  return countFields(inviteFile(dataDir), (text) => text);
}

/**
 * Invites in the yardstick's journal, not yet folded into the store file. A journal stopped in
 * the middle of an append ends in a torn item, which its reader drops, as a journal's is: only
 * whole items (each ends `\n\t};`) count.
 */
export function countJournal(dataDir: string): number {
  return countFields(`${inviteFile(dataDir)}.journal`, (text) => {
    const end = text.lastIndexOf('\n\t};');
    return `return {${text.slice(0, end < 0 ? 0 : end + 4)}\n};\n`;
  });
}
