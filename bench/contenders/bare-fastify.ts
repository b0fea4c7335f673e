// The reject-path ceiling: Fastify 5 with one POST route that parses the JSON body and answers
// {"ok":true}, no logging, no verification. Whatever hookgate does on top of receiving a request
// (logging, rate limiting, HMAC, audit) shows as the distance to this.
import Fastify from 'fastify'
import { HOST, listenPort } from './listen-args.ts'

const app = Fastify({ logger: false })
app.post('/hook', async () => ({ ok: true }))
const url = await app.listen({ host: HOST, port: listenPort(process.argv.slice(2)) })
process.stdout.write(`listening on ${url}\n`)
