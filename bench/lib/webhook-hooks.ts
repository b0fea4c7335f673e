// adnanh/webhook's hooks file: `run` executes `printf ok` and answers with its output; `reject`
// requires an HMAC-SHA256 payload signature. Two settings make the comparison fair: webhook answers
// a rule mismatch with 200 unless `trigger-rule-mismatch-http-response-code` says otherwise, and a
// wrong signature is an evaluation error (500) unless soft failures are on, which 2.8 honours only
// inside an `or` rule.
export const WEBHOOK = '/usr/bin/webhook'

export function webhookHooks (secret: string): string {
  const printfOk = {
    'execute-command': 'printf',
    'pass-arguments-to-command': [{ source: 'string', name: 'ok' }]
  }
  return JSON.stringify([
    { id: 'run', ...printfOk, 'include-command-output-in-response': true },
    {
      id: 'reject',
      ...printfOk,
      'trigger-rule': { or: [{ match: { type: 'payload-hmac-sha256', secret, parameter: { source: 'header', name: 'X-Webhook-Signature' } } }] },
      'trigger-signature-soft-failures': true,
      'trigger-rule-mismatch-http-response-code': 401
    }
  ], null, 2)
}
