// Requests signed the way each platform signs them, with the platform's official package wherever
// one exists (twilio, @octokit/webhooks-methods) and node:crypto, cross-checked by the official
// verifier, where the package only verifies (LINE, Slack, Discord) or none exists (Teams).
// Never imports src/: the gateway's verifiers are what these requests test.
import { createHash, createHmac, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto'
import twilio from 'twilio'
import { validateSignature as lineValidate } from '@line/bot-sdk'
import { sign as githubSign } from '@octokit/webhooks-methods'
import { isValidSlackRequest } from '@slack/bolt'
import { verifyKey as discordVerifyKey } from 'discord-interactions'

export const TWILIO_TOKEN = 'twilio-auth-token-0123456789abcdef'
export const LINE_SECRET = 'line-channel-secret-0123456789ab'
export const TEAMS_TOKEN = Buffer.from('teams-security-token-32-bytes!!!').toString('base64')
export const SLACK_SECRET = 'slack-signing-secret-0123456789ab'
export const TELEGRAM_SECRET = 'telegram-secret-token_0123456789'
export const GITHUB_SECRET = 'github-webhook-secret-0123456789'
export const CALLBACK_SECRET = 'whsec_' + Buffer.from('callback-secret-0123456789abcdef').toString('base64')

/** Form body and X-Twilio-Signature for `url` (the URL Twilio would call). */
export function twilioRequest (url: string, params: Record<string, string>): { body: string, headers: Record<string, string> } {
  return {
    body: new URLSearchParams(params).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(TWILIO_TOKEN, url, params)
    }
  }
}

export function lineRequest (payload: unknown): { body: string, headers: Record<string, string> } {
  const body = JSON.stringify(payload)
  const signature = createHmac('sha256', LINE_SECRET).update(body).digest('base64')
  if (!lineValidate(body, LINE_SECRET, signature)) throw new Error('@line/bot-sdk rejects the test signature')
  return { body, headers: { 'content-type': 'application/json', 'x-line-signature': signature } }
}

export function teamsRequest (payload: unknown): { body: string, headers: Record<string, string> } {
  const body = JSON.stringify(payload)
  // Microsoft's sample: HMAC-SHA256 keyed with the base64-decoded security token.
  const mac = createHmac('sha256', Buffer.from(TEAMS_TOKEN, 'base64')).update(Buffer.from(body, 'utf8')).digest('base64')
  return { body, headers: { 'content-type': 'application/json', authorization: `HMAC ${mac}` } }
}

export function slackRequest (body: string, contentType: string, nowSeconds = Math.floor(Date.now() / 1000)): { body: string, headers: Record<string, string> } {
  const signature = 'v0=' + createHmac('sha256', SLACK_SECRET).update(`v0:${nowSeconds}:${body}`).digest('hex')
  const headers = { 'content-type': contentType, 'x-slack-request-timestamp': String(nowSeconds), 'x-slack-signature': signature }
  if (!isValidSlackRequest({ signingSecret: SLACK_SECRET, body, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': nowSeconds }, nowMilliseconds: nowSeconds * 1000 })) {
    throw new Error('@slack/bolt rejects the test signature')
  }
  return { body, headers }
}

export function telegramRequest (payload: unknown): { body: string, headers: Record<string, string> } {
  return { body: JSON.stringify(payload), headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET } }
}

export interface DiscordKeys { publicKeyHex: string, privateKey: KeyObject }

export function discordKeys (): DiscordKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const der = publicKey.export({ format: 'der', type: 'spki' })
  return { publicKeyHex: der.subarray(der.length - 32).toString('hex'), privateKey }
}

export async function discordRequest (keys: DiscordKeys, payload: unknown, nowSeconds = Math.floor(Date.now() / 1000)): Promise<{ body: string, headers: Record<string, string> }> {
  const body = JSON.stringify(payload)
  const timestamp = String(nowSeconds)
  const signature = edSign(null, Buffer.from(timestamp + body), keys.privateKey).toString('hex')
  if (!await discordVerifyKey(body, signature, timestamp, keys.publicKeyHex)) throw new Error('discord-interactions rejects the test signature')
  return { body, headers: { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp } }
}

export async function githubRequest (event: string, payload: unknown, delivery = createHash('sha256').update(JSON.stringify(payload)).digest('hex').slice(0, 32)): Promise<{ body: string, headers: Record<string, string> }> {
  const body = JSON.stringify(payload)
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': await githubSign(GITHUB_SECRET, body)
    }
  }
}
