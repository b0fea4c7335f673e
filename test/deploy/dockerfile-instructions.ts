// A Dockerfile read as Docker reads it, enough for assertions: comment lines dropped, backslash
// continuations joined, one entry per instruction with the stage it belongs to.

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, … */
  name: string
  /** Everything after the instruction name, continuations joined with a space. */
  args: string
  /** 0 for the first FROM's stage, 1 for the next, … */
  stage: number
}

export function parseDockerfile (text: string): Instruction[] {
  const out: Instruction[] = []
  let pending = ''
  let stage = -1
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd()
    // A comment inside a continued instruction is skipped too (Docker does the same).
    if (/^\s*#/.test(line)) continue
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' '
      continue
    }
    const whole = (pending + line).trim()
    pending = ''
    if (whole === '') continue
    const match = /^(\S+)\s*(.*)$/s.exec(whole)
    if (match === null) continue
    const name = (match[1] as string).toUpperCase()
    if (name === 'FROM') stage++
    out.push({ name, args: (match[2] as string).replace(/\s+/g, ' ').trim(), stage })
  }
  return out
}

/** The JSON (exec) form of ENTRYPOINT, CMD or HEALTHCHECK CMD; null when it is the shell form. */
export function execForm (args: string): string[] | null {
  if (!args.startsWith('[')) return null
  try {
    const parsed: unknown = JSON.parse(args)
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : null
  } catch {
    return null
  }
}
