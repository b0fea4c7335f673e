// Agent output and built-in answers can contain `@everyone` or `<@id>` taken from user input or from
// the agent: Discord must render them as text and never ping anyone.
export const NO_MENTIONS: { readonly parse: readonly string[] } = Object.freeze({ parse: Object.freeze([]) })
