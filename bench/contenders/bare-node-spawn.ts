// The run-path floor without a framework: node:http reads the body, spawns `printf ok` and answers
// when it exits, with its output. The least a Node server can do per run.
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { HOST, listenPort } from './listen-args.ts'

const server = createServer((req, res) => {
  req.resume()
  req.once('end', () => {
    const child = spawn('printf', ['ok'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
    let answered = false
    const answer = (code: number | null): void => {
      if (answered) return
      answered = true
      const body = JSON.stringify({ ok: code === 0, output })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }
    child.once('error', () => answer(null))
    child.once('close', answer)
  })
})
server.listen(listenPort(process.argv.slice(2)), HOST, () => {
  const address = server.address()
  process.stdout.write(`listening on http://${HOST}:${typeof address === 'object' && address !== null ? address.port : 0}\n`)
})
