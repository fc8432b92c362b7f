// `cni-chain ports publish|unpublish|list`: host ports on live attachments (run-time publishing).
import type { Argv, CommandModule } from 'yargs'
import { listCachedAttachments } from '../../../src/cni/cache.js'
import { loadNetwork } from '../../conf-load.js'
import { createRealHost } from '../../../src/host/real.js'
import { describeMapping, mappingsOf, parseMappingSpec } from '../../../meta-plugins/portmap/publish.js'
import { checkAttachment } from '../../../src/cni/validate.js'
import { changePorts, type PublishTarget } from '../publish.js'
import { cacheDirOf, confDirOf, networkOf } from '../runtime.js'

interface ChangeOptions {
  'container-id': string
  mappings: string[]
  network: string
  ifname: string
  'cache-dir': string
  'conf-dir'?: string
  'host-ip'?: string
}

interface ListOptions {
  'cache-dir': string
  json: boolean
}

const changeBuilder = (y: Argv) =>
  y
    .positional('container-id', { type: 'string', demandOption: true, describe: 'container id of the live attachment' })
    .positional('mappings', { type: 'string', array: true, demandOption: true, describe: 'HOST:CONTAINER[/tcp|udp|sctp] (default tcp)' })
    .option('network', { type: 'string', demandOption: true, describe: 'network name in the conf dir, or a conflist path' })
    .option('ifname', { type: 'string', default: 'eth0', describe: 'interface name of the attachment' })
    .option('cache-dir', { type: 'string', default: '/var/lib/cni', describe: 'libcni result cache directory' })
    .option('conf-dir', { type: 'string', describe: 'directory of network configurations', defaultDescription: '$NETCONFPATH or /etc/cni/net.d' })
    .option('host-ip', { type: 'string', describe: 'bind the host ports to this node address only' })

const change = (mode: 'publish' | 'unpublish') => async (argv: ChangeOptions): Promise<void> => {
  // names and paths first: nothing is read before they pass (changePorts checks them again)
  checkAttachment({ containerId: argv['container-id'], ifname: argv.ifname })
  const cacheDir = cacheDirOf(argv)
  const mappings = argv.mappings.map((s) => parseMappingSpec(s, argv['host-ip']))
  const list = await loadNetwork(networkOf(argv), confDirOf(argv))
  const target: PublishTarget = {
    network: list.name, cniVersion: list.cniVersion, plugins: list.plugins,
    cacheDir, containerId: argv['container-id'], ifname: argv.ifname,
  }
  const host = createRealHost()
  const next = mode === 'publish' ? await changePorts(host, target, mappings, []) : await changePorts(host, target, [], mappings)
  process.stdout.write(`${list.name} ${argv['container-id']} ${argv.ifname}: ${next.map(describeMapping).join(', ') || 'no host ports'}\n`)
}

/** portsCommand: `ports publish`, `ports unpublish`, `ports list`. */
export const portsCommand: CommandModule<object, object> = {
  command: 'ports <command>',
  describe: 'publish or unpublish host ports on live attachments, list them',
  builder: (y) =>
    y
      .command<ChangeOptions>({
        command: 'publish <container-id> <mappings..>',
        describe: 'add host ports to a live attachment (one nft transaction; cache updated)',
        builder: changeBuilder as never,
        handler: change('publish'),
      })
      .command<ChangeOptions>({
        command: 'unpublish <container-id> <mappings..>',
        describe: 'remove host ports from a live attachment',
        builder: changeBuilder as never,
        handler: change('unpublish'),
      })
      .command<ListOptions>({
        command: 'list',
        describe: 'list the host ports of every cached attachment',
        builder: (y) =>
          y.option('cache-dir', { type: 'string', default: '/var/lib/cni', describe: 'libcni result cache directory' })
            .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
        handler: async (argv) => {
          const entries = await listCachedAttachments(createRealHost().files, cacheDirOf(argv))
          const rows = entries.flatMap((e) => mappingsOf(e.capabilityArgs).map((m) => ({
            network: e.networkName, containerId: e.containerId, ifname: e.ifName,
            protocol: m.protocol, hostIP: m.hostIP ?? '', hostPort: m.hostPort, containerPort: m.containerPort, text: describeMapping(m),
          })))
          if (argv.json) {
            process.stdout.write(JSON.stringify(rows.map(({ text: _t, ...r }) => r), null, 2) + '\n')
            return
          }
          for (const r of rows) process.stdout.write(`${r.network}\t${r.containerId}\t${r.ifname}\t${r.text}\n`)
        },
      })
      .demandCommand(1, 'ports: publish, unpublish or list'),
  handler: () => undefined,
}
