// What test/fixtures/flood-agent.mjs writes in `lines` mode, line by line: 64 KiB blocks of 'y' with a
// newline at every 100th byte (offsets 99, 199, …), poured one after another, so the last 36 bytes of
// a block run into the first line of the next. The gateway admits whole lines, in order, while they
// fit under `agent.max_output_bytes` and drops everything from the first line that does not.

const BLOCK = 64 * 1024

/** Bytes of the lines the gateway keeps when the agent pours `total` bytes under a cap of `cap`. */
export function floodAdmittedBytes (total: number, cap: number): number {
  const newlines: number[] = []
  for (let i = 99; i < BLOCK; i += 100) newlines.push(i)
  let admitted = 0
  let lineStart = 0
  for (let blockStart = 0; blockStart < total; blockStart += BLOCK) {
    for (const offset of newlines) {
      const end = blockStart + offset + 1
      if (end > total) return admitted
      const line = end - lineStart
      if (admitted + line > cap) return admitted
      admitted += line
      lineStart = end
    }
  }
  return admitted
}
