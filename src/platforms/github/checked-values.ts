// The values a prompt and a link are built from that have a strict shape of their own: they are
// refused, never repaired, when they do not have it (a repaired repository or sha would name
// something other than what GitHub sent).

const REPOSITORY = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/
// GitHub owners are at most 39 characters and repository names 100.
const MAX_REPOSITORY = 200
// A segment of dots alone reads as a path (`../..`) to an agent working in a checkout.
const DOTS_ONLY = /(^|\/)\.+(\/|$)/
const SHA = /^[0-9a-f]{7,64}$/
// Printable ASCII only: GitHub's URLs are, and anything else would be text hiding in a link.
const URL_TEXT = /^[\x21-\x7e]{1,512}$/
// GitHub logins are short ASCII (`octocat`, `dependabot[bot]`); the cap matches the config's `users`.
const LOGIN = /^[\x21-\x7e]{1,256}$/

export function checkRepository (value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_REPOSITORY) return null
  return REPOSITORY.test(value) && !DOTS_ONLY.test(value) ? value : null
}

export function checkSha (value: unknown): string | null {
  return typeof value === 'string' && SHA.test(value) ? value : null
}

/** An https URL without credentials, as URL serialises it; null for anything else. */
export function checkHttpsUrl (value: unknown): string | null {
  if (typeof value !== 'string' || !URL_TEXT.test(value) || !URL.canParse(value)) return null
  const url = new URL(value)
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') return null
  return url.href
}

export function checkLogin (value: unknown): string | null {
  return typeof value === 'string' && LOGIN.test(value) ? value : null
}
