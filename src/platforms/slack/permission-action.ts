// The buttons of a permission question as Slack reports a press: the decision is the button's
// action_id (fixed names, so a press on any other app's or message's button is never mistaken for
// one), the question's short id its value.
import { PERMISSION_ID } from '../permission-button.ts'

export type PermissionDecision = 'allow' | 'deny'

export const PERMISSION_BLOCK_ID = 'permission'
export const PERMISSION_ACTION_IDS: Readonly<Record<PermissionDecision, string>> = { allow: 'permission_allow', deny: 'permission_deny' }

/** The command a pressed button stands for, or null when the button is not one of ours. */
export function permissionCommand (action: { action_id?: unknown, block_id?: unknown, value?: unknown }): string | null {
  if (action.block_id !== PERMISSION_BLOCK_ID || typeof action.value !== 'string' || !PERMISSION_ID.test(action.value)) return null
  const decision = (Object.keys(PERMISSION_ACTION_IDS) as PermissionDecision[]).find((d) => PERMISSION_ACTION_IDS[d] === action.action_id)
  return decision === undefined ? null : `/${decision} ${action.value}`
}
