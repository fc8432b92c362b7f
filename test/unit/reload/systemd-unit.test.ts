// deploy/systemd/cni-chain-reload.service: the directives that make it run after every start,
// restart and reload of nftables.service, and (where systemd-analyze exists) systemd's own check of
// the file, with ExecStart pointed at an executable that exists here.
import { spawnSync } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import t from 'tap'

const UNIT = resolve(import.meta.dirname, '../../../deploy/systemd/cni-chain-reload.service')
const text = readFileSync(UNIT, 'utf8')

/** directives: section → key → values (a key may repeat), comments and blank lines skipped. */
const directives = (unit: string): Record<string, Record<string, string[]>> => {
  const out: Record<string, Record<string, string[]>> = {}
  let section = ''
  for (const raw of unit.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const head = /^\[(.+)\]$/.exec(line)
    if (head) {
      section = head[1] as string
      out[section] ??= {}
      continue
    }
    const eq = line.indexOf('=')
    if (eq < 0) throw new Error(`not a directive: ${line}`)
    const sec = (out[section] ??= {})
    ;(sec[line.slice(0, eq)] ??= []).push(line.slice(eq + 1))
  }
  return out
}

t.test('runs after nftables.service and again on each of its restarts and reloads', async (t) => {
  const d = directives(text)
  t.same(d.Unit?.After, ['nftables.service'], 'ordered after the node ruleset is loaded')
  t.same(d.Unit?.PartOf, ['nftables.service'], 'restart/stop of nftables propagates here')
  t.same(d.Unit?.ReloadPropagatedFrom, ['nftables.service'], 'reload of nftables runs ExecReload')
  t.same(d.Service?.Type, ['oneshot'])
  t.same(d.Service?.RemainAfterExit, ['yes'], 'active after it ran, so PartOf restarts it')
  t.match(d.Service?.ExecStart?.[0], /^\/\S+\/cni-chain reload --cache-dir \/var\/lib\/cni$/)
  t.same(d.Service?.ExecReload, d.Service?.ExecStart)
  t.same(d.Install?.WantedBy?.[0]?.split(/\s+/).sort(), ['multi-user.target', 'nftables.service'])
})

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' })
t.test('systemd-analyze verify accepts it', { skip: analyze.status === 0 ? false : 'systemd-analyze is not installed' }, async (t) => {
  const dir = t.testdir()
  const exe = join(dir, 'cni-chain')
  writeFileSync(exe, '#!/bin/sh\nexit 0\n')
  chmodSync(exe, 0o755)
  const unit = join(dir, 'cni-chain-reload.service')
  writeFileSync(unit, text.replaceAll('/usr/local/bin/cni-chain', exe))
  const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 30_000 })
  // only our file's lines count (the machine's other units may have their own complaints)
  const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('cni-chain-reload'))
  t.same(ours, [], 'no complaint about the unit')
})
