// The environment for processes tests start: the parent's, without what slows or instruments
// children. NODE_EXTRA_CA_CERTS triples Node's start-up, and tap's coverage hooks (NODE_OPTIONS,
// NODE_V8_COVERAGE, TAP_*) would instrument every plugin binary a test starts.
const DROPPED_ENV = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'NODE_V8_COVERAGE']

/** childEnv returns the parent environment without those variables, plus `extra`. */
export const childEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !DROPPED_ENV.includes(k) && !k.startsWith('_TAPJS') && !k.startsWith('TAP_')) env[k] = v
  }
  return { ...env, ...extra }
}
