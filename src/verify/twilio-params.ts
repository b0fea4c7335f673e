// The form-parameter part of a Twilio signature: every parameter name in code-unit order, each
// followed by its decoded value, with no separators. A name sent more than once is signed the way
// twilio-node 6.2.0 does it (toFormUrlEncodedParam): its distinct values, sorted, each appended as
// name + value.

/** Decodes the raw `application/x-www-form-urlencoded` body as the WHATWG form parser does. */
export function twilioSignedParams (rawBody: Buffer): string {
  const values = new Map<string, string[]>()
  for (const [name, value] of new URLSearchParams(rawBody.toString('utf8'))) {
    const list = values.get(name)
    if (list === undefined) values.set(name, [value])
    else list.push(value)
  }
  let signed = ''
  for (const name of [...values.keys()].sort()) {
    for (const value of [...new Set(values.get(name))].sort()) signed += name + value
  }
  return signed
}
