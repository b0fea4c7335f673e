// What a permission button carries back (Telegram callback_data, LINE postback data, Discord
// custom_id; each allows far more than these at most 26 bytes): the decision and the question's short
// id. Anything else a button press carries is some other button, never a command.

/** A permission request id as the broker makes them (src/permissions/permission-broker.ts), with room to change. */
export const PERMISSION_ID = /^[a-z0-9]{4,16}$/

const VALUE = /^perm:(allow|deny):([a-z0-9]{4,16})$/

export function permissionButtonValue (decision: 'allow' | 'deny', pid: string): string {
  return `perm:${decision}:${pid}`
}

/** `/allow <pid>` or `/deny <pid>` for one of our buttons, else null. */
export function permissionCommand (value: unknown): string | null {
  if (typeof value !== 'string') return null
  const match = VALUE.exec(value)
  return match === null ? null : `/${match[1]} ${match[2]}`
}
