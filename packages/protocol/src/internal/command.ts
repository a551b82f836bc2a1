import type { LanguageCode, RemotingCommand, SerializeType } from "../RemotingCommand.js"

/**
 * A command object in one of two fixed shapes (with or without `remark`), instead of an object spread: commands
 * are built for every request and decoded for every response.
 */
export const makeCommand = (
  code: number,
  language: LanguageCode,
  version: number,
  opaque: number,
  flag: number,
  remark: string | undefined,
  extFields: Readonly<Record<string, string>>,
  body: Uint8Array,
  serializeType: SerializeType
): RemotingCommand =>
  remark !== undefined
    ? { code, language, version, opaque, flag, remark, extFields, body, serializeType }
    : { code, language, version, opaque, flag, extFields, body, serializeType }
