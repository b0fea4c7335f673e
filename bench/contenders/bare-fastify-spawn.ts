// The run-path floor for a Fastify server: one POST route that spawns `printf ok` for each request
// on the event loop and answers when it exits, with its output. No verification, no store, no audit.
import { spawn } from 'node:child_process'
import Fastify from 'fastify'
import { HOST, listenPort } from './listen-args.ts'

function printfOk (): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve) => {
    const child = spawn('printf', ['ok'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
    child.once('error', () => resolve({ code: null, output }))
    child.once('close', (code) => resolve({ code, output }))
  })
}

const app = Fastify({ logger: false })
app.post('/hook', async () => {
  const { code, output } = await printfOk()
  return { ok: code === 0, output }
})
const url = await app.listen({ host: HOST, port: listenPort(process.argv.slice(2)) })
process.stdout.write(`listening on ${url}\n`)
