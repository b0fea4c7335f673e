// Microsoft Teams outgoing webhooks: the answer is the reply (the result itself when the run ends
// within the window, else "working on it"); later results go through a Workflows webhook.
import type { PlatformAdapter } from '../adapter.ts'
import { answerTeams, partsInAnswer } from './answer.ts'
import { askTeamsPermission } from './ask-permission.ts'
import { deliverTeams } from './deliver.ts'
import { parseTeams } from './parse.ts'

export const teamsAdapter: PlatformAdapter = {
  scheme: 'teams',
  // 12,000 code points of plain text stay under the 28 KB payload; deliver splits further by bytes.
  limits: { chars: 12000, unit: 'codepoint', maxMessages: 3 },
  // Teams waits 5 s for the answer; 1.5 s is left for the policy, the audit write and the network.
  syncWaitMs: 3500,
  answerVisible: true,
  parse: parseTeams,
  answer: answerTeams,
  partsInAnswer,
  deliver: deliverTeams,
  // Text only: buttons cannot reach an outgoing webhook (ask-permission.ts).
  askPermission: askTeamsPermission
}
