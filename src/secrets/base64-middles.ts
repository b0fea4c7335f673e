// Base64 turns every 3 bytes into 4 characters, so how a secret looks inside a longer base64 blob
// depends on where it starts: at offset 0, 1 or 2 (mod 3) of the encoded bytes. In each of the three
// alignments only the characters built entirely from the secret's own bits are the same whatever
// surrounds it; the character at each end also carries bits of the neighbouring bytes. So the
// secret is encoded behind 0, 1 and 2 leading bytes and only those stable middle characters are
// kept: one of the three is found wherever the secret sits, and at most 4 of its bits stay visible
// at either end of the redaction.

const ALIGNMENTS = [0, 1, 2] as const

/** The stable base64 characters of `bytes` for each alignment (standard alphabet). */
export function base64Middles (bytes: Buffer): string[] {
  return ALIGNMENTS.map((lead) => {
    const encoded = Buffer.concat([Buffer.alloc(lead), bytes]).toString('base64')
    // Character i covers bits [6i, 6i + 6); keep those inside the secret's bits [8·lead, 8·(lead + n)).
    const first = Math.ceil((lead * 8) / 6)
    const end = Math.floor(((lead + bytes.length) * 8) / 6)
    return encoded.slice(first, end)
  })
}

/** The same characters in the URL-safe alphabet (RFC 4648 §5). */
export function toBase64Url (base64: string): string {
  return base64.replaceAll('+', '-').replaceAll('/', '_')
}
