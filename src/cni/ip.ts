// IP address helpers for results: the address family of an "ip[/prefix]" string, and the checks
// Go's decoder applies (net.ParseCIDR for addresses and destinations, net.ParseIP for gateways).
import { isIP, isIPv4 } from 'node:net'

/** isCidr tells whether s is "ip/prefix" with a prefix in range for the family (Go ParseCIDR). */
export const isCidr = (s: string): boolean => {
  const slash = s.indexOf('/')
  if (slash < 0) return false
  const ip = s.slice(0, slash)
  const prefix = s.slice(slash + 1)
  const family = isIP(ip)
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false
  return Number(prefix) <= (family === 4 ? 32 : 128)
}

/**
 * ipFamily returns "4" or "6" for an address with or without a prefix, as Go's `To4() != nil`
 * decides it: IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as IPv4.
 */
export const ipFamily = (address: string): '4' | '6' => {
  const ip = address.split('/')[0] ?? ''
  if (isIPv4(ip)) return '4'
  return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(ip) ? '4' : '6'
}
