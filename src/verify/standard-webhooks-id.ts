// Printable ASCII without space and without `.`: the Standard Webhooks spec warns that a `.` in the
// id makes `<id>.<timestamp>.<body>` ambiguous; with digits-only timestamps and dot-free ids the
// signed string splits one way only. Printable also keeps the id (our replay key) safe to log and
// store. Shared by the verifier and sign.ts so we never produce an id our own gateway refuses.
const ID = /^[\x21-\x2d\x2f-\x7e]{1,256}$/

export const MAX_WEBHOOK_ID_LENGTH = 256

export function isValidWebhookId (id: string): boolean {
  return ID.test(id)
}
