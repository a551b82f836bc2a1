/** `host:port`, `[v6]:port` or a bare v6 `a:b::c:port` (split at the last colon). */
export const parseAddress = (address: string): { host: string; port: number } | undefined => {
  const i = address.lastIndexOf(":")
  if (i <= 0) return undefined
  let host = address.slice(0, i)
  const portText = address.slice(i + 1)
  // Decimal digits only, as Java reads a port: Number() would take "0x50", "1e3" or " 80" as ports too.
  if (!/^\d{1,5}$/.test(portText)) return undefined
  const port = Number(portText)
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1)
  if (port <= 0 || port > 65535 || host.length === 0) return undefined
  return { host, port }
}
