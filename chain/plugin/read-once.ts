// The `chain` plugin plans a segment's sub-plugins one after the other and applies nothing until
// all of them are planned, so during planning the machine does not change under them and the same
// read asked twice has the same answer. Tuning and bandwidth both read the pod's interface
// (`ip -j -d link show dev eth0` in the pod netns: a process each); readsOnce makes the second
// ask reuse the first answer. Each caller gets its own copy (plans may change what they read).
// The view is for one planning pass only: after apply, the answers are stale.
import type { NetnsPath, ReadHost } from '../../src/host/types.js'

/** readsOnce: host's reads, each distinct (tool, arguments, netns) run at most once. */
export const readsOnce = (host: ReadHost): ReadHost => {
  const answers = new Map<string, Promise<unknown>>()
  const once = <T>(key: unknown[], read: () => Promise<T>): Promise<T> => {
    const k = JSON.stringify(key)
    let p = answers.get(k)
    if (!p) {
      p = read()
      answers.set(k, p)
    }
    return p.then((v) => structuredClone(v) as T)
  }
  return {
    ...host,
    ip: { json: <T>(args: string[], netns?: NetnsPath) => once<T>(['ip', args, netns], () => host.ip.json<T>(args, netns)) },
    tc: { json: <T>(args: string[], netns?: NetnsPath) => once<T>(['tc', args, netns], () => host.tc.json<T>(args, netns)) },
    sysctl: { read: (keys: string[], netns?: NetnsPath) => once(['sysctl', keys, netns], () => host.sysctl.read(keys, netns)) },
    netns: { exists: (path: string) => once(['netns', path], () => host.netns.exists(path)) },
  }
}
