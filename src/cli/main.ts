// Entry point of the `cni-chain` CLI (placeholder until the chain issue).
process.stderr.write('cni-chain: no commands yet\n')
process.exitCode = 1
