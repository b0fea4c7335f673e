// Problem paths are JSON pointers into the YAML document, the form ConfigError and `hookgate check` print.
import { childPointer } from '../config/problems.ts'

/** RFC 6901 pointer from unescaped segments: `jsonPointer('commands', 'git', 'allow', 0)` → `/commands/git/allow/0`. */
export function jsonPointer (...segments: ReadonlyArray<string | number>): string {
  return segments.reduce<string>((pointer, segment) => childPointer(pointer, segment), '')
}
