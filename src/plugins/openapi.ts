// OpenAPI 3.1 generated from the route schemas. Registered before the routes: @fastify/swagger
// collects them through onRoute. The document does not depend on the config, so the committed
// openapi/openapi.json, `hookgate openapi` and GET /openapi.json are the same bytes.
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import pkg from '../../package.json' with { type: 'json' }

/** The signature schemes a webhook request may use, as named in components.securitySchemes. */
export const SECURITY_SCHEME_NAMES = ['hmacSha256', 'standardWebhooks', 'github', 'slack', 'twilio', 'line', 'teams', 'telegram', 'discord'] as const

async function openapiPlugin (app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'hookgate',
        version: pkg.version,
        description: 'Signed-webhook gateway that runs an AI coding agent CLI and answers as JSON, Server-Sent Events or a platform reply.'
      },
      tags: [
        { name: 'webhooks', description: 'Signed requests that run the agent' },
        { name: 'runs', description: 'Reading, following and cancelling runs' },
        { name: 'operations', description: 'Health and metadata' }
      ],
      components: {
        securitySchemes: {
          hmacSha256: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Webhook-Signature',
            description: 'Scheme `hmac-sha256`: `X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Webhook-Timestamp>.<raw body>")>`; with `max_age: 0`, the HMAC of the raw body alone and no timestamp.'
          },
          standardWebhooks: {
            type: 'apiKey',
            in: 'header',
            name: 'webhook-signature',
            description: 'Scheme `standard-webhooks` (Standard Webhooks v1): `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")>`.'
          },
          github: { type: 'apiKey', in: 'header', name: 'X-Hub-Signature-256', description: 'Scheme `github`: `sha256=<hex HMAC-SHA256(secret, raw body)>`.' },
          slack: { type: 'apiKey', in: 'header', name: 'X-Slack-Signature', description: 'Scheme `slack`: `v0=<hex HMAC-SHA256(signing secret, "v0:<X-Slack-Request-Timestamp>:<raw body>")>`.' },
          twilio: { type: 'apiKey', in: 'header', name: 'X-Twilio-Signature', description: 'Scheme `twilio`: base64 HMAC-SHA1(auth token, public URL + sorted form parameters as name+value); JSON bodies sign the URL with `bodySHA256`.' },
          line: { type: 'apiKey', in: 'header', name: 'X-Line-Signature', description: 'Scheme `line`: base64 HMAC-SHA256(channel secret, raw body).' },
          teams: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Scheme `teams`: `HMAC <base64 HMAC-SHA256(base64-decoded security token, raw body)>`.' },
          telegram: { type: 'apiKey', in: 'header', name: 'X-Telegram-Bot-Api-Secret-Token', description: 'Scheme `telegram`: the secret token given to setWebhook.' },
          discord: { type: 'apiKey', in: 'header', name: 'X-Signature-Ed25519', description: 'Scheme `discord`: Ed25519 signature of `<X-Signature-Timestamp><raw body>` by the application key.' },
          runToken: { type: 'http', scheme: 'bearer', description: 'The run\'s own token, returned once when the run is created' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'The `admin_token` from the configuration' }
        }
      }
    }
  })
}

export default fp(openapiPlugin, { name: 'hookgate-openapi' })
