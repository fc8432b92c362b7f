// One ip/tc command is all or nothing in the fake (a netlink request): atomically() restores the
// namespaces when the command throws part-way.
import type { World } from './model.js'

export const atomically = <T>(world: World, fn: () => T): T => {
  const saved = structuredClone(world.namespaces)
  try {
    return fn()
  } catch (err) {
    world.namespaces.clear()
    for (const [k, v] of saved) world.namespaces.set(k, v)
    throw err
  }
}
