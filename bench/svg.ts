// A hand-written SVG line plot (no dependencies): p50 ADD and DEL latency against live pods, one
// colour per variant, solid ADD, dashed DEL.

export interface Series {
  label: string
  points: { live: number; add: number; del: number }[]
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd']
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, '')

export const growthSvg = (series: Series[]): string => {
  const W = 720
  const H = 420
  const L = 60
  const R = 20
  const T = 30
  const B = 90
  const all = series.flatMap((s) => s.points)
  const maxX = Math.max(1, ...all.map((p) => p.live))
  const maxY = Math.max(1, ...all.flatMap((p) => [p.add, p.del]).filter(Number.isFinite)) * 1.1
  const x = (v: number) => L + (v / maxX) * (W - L - R)
  const y = (v: number) => H - B - (v / maxY) * (H - T - B)
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">p50 latency (ms) against live pods</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
  ]
  for (let i = 0; i <= 5; i++) {
    const v = (maxY / 5) * i
    out.push(`<line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`)
  }
  for (const p of [...new Set(all.map((q) => q.live))]) out.push(`<text x="${x(p)}" y="${H - B + 16}" text-anchor="middle">${p}</text>`)
  out.push(`<text x="${(L + W - R) / 2}" y="${H - B + 34}" text-anchor="middle">live pods</text>`)
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length]
    for (const [verb, dash] of [['add', ''], ['del', ' stroke-dasharray="6 4"']] as const) {
      const pts = s.points.filter((p) => Number.isFinite(p[verb])).map((p) => `${x(p.live).toFixed(1)},${y(p[verb]).toFixed(1)}`)
      out.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${dash} points="${pts.join(' ')}"/>`)
      for (const pt of pts) out.push(`<circle cx="${pt.split(',')[0]}" cy="${pt.split(',')[1]}" r="3" fill="${c}"/>`)
    }
    const ly = H - B + 52 + i * 16
    out.push(`<line x1="${L}" y1="${ly - 4}" x2="${L + 24}" y2="${ly - 4}" stroke="${c}" stroke-width="2"/>`,
      `<text x="${L + 30}" y="${ly}">${esc(s.label)}: ADD solid, DEL dashed</text>`)
  })
  out.push('</svg>', '')
  return out.join('\n')
}
