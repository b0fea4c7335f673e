// Removes terminal escape sequences (CSI like colours and cursor moves, OSC like titles and links)
// from a line some CLIs colour regardless of NO_COLOR/TERM=dumb.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g

export function stripAnsi (line: string): string {
  return line.includes('\u001b') ? line.replace(ANSI, '') : line
}
