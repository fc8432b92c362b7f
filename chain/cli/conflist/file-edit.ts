// Applying a pure conflist edit to a file: read the bytes, refuse what is not UTF-8 text, run the
// edit, and write only when the text changed (atomically, and only if nobody rewrote the file in
// between: a concurrent rewrite — Flannel's init container, Calico's install-cni — is re-read and
// the edit made again, at most a few times).
import { readFile } from 'node:fs/promises'
import { ConcurrentChangeError, existingFile, writeFileAtomic } from '../files/atomic.js'
import { ConflistError } from './document.js'

const ATTEMPTS = 3

/** readText reads a regular file as UTF-8 text; refuses other files and bytes that are not UTF-8. */
export const readText = async (path: string): Promise<{ bytes: Buffer; text: string }> => {
  if (path === '') throw new ConflistError('a file path is required')
  let st
  try {
    st = await existingFile(path)
  } catch (err) {
    throw new ConflistError((err as Error).message)
  }
  if (!st) throw new ConflistError(`${path}: no such file`)
  const bytes = await readFile(path)
  const text = bytes.toString('utf8')
  if (!Buffer.from(text, 'utf8').equals(bytes)) throw new ConflistError(`${path}: not UTF-8 text`)
  return { bytes, text }
}

/**
 * editFile runs `edit` on the file's text; when the returned text differs it replaces the file
 * atomically (mode and owner kept). Returns what edit returned and whether the file was written.
 */
export const editFile = async <R extends { text: string }>(path: string, edit: (text: string) => R): Promise<R & { written: boolean }> => {
  for (let attempt = 1; ; attempt++) {
    const { bytes, text } = await readText(path)
    const result = edit(text)
    if (result.text === text) return { ...result, written: false }
    try {
      await writeFileAtomic(path, result.text, { expect: bytes })
      return { ...result, written: true }
    } catch (err) {
      if (!(err instanceof ConcurrentChangeError) || attempt >= ATTEMPTS) throw err
    }
  }
}
