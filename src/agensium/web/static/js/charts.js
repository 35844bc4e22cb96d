// Inline SVG charts for the report's data.charts (bar, histogram, line). Self-contained: no
// library, no network; text goes in as text nodes.
import { h, s } from "./dom.js";

const W = 640;
const PAD = { top: 16, right: 16, bottom: 64, left: 56 };
// keep in step with .swatch-N in app.css (no inline styles, so a strict CSP can apply)
const PALETTE = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2"];

// A round tick step (1, 2, 2.5 or 5 × 10^k) giving about five gridlines, and the top it reaches.
function niceScale(maxValue) {
  if (!(maxValue > 0)) return { top: 1, step: 0.2 };
  const raw = maxValue / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((x) => x >= raw);
  return { top: Math.ceil(maxValue / step - 1e-9) * step, step };
}

function fmt(v) {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toLocaleString(undefined, { maximumFractionDigits: 1 })}M`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toLocaleString(undefined, { maximumFractionDigits: 1 })}k`;
  return v.toLocaleString(undefined, { maximumFractionDigits: 3 });
}

function truncate(text, n) {
  const t = String(text);
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

export function renderChart(chart) {
  const labels = (chart.labels || []).slice(0, 200);
  const series = (chart.series || []).filter((x) => Array.isArray(x.values));
  const values = series.flatMap((x) => x.values.slice(0, labels.length)).filter((v) => Number.isFinite(v));
  const title = chart.title || "Chart";
  const figure = h("figure", { class: "chart" }, h("figcaption", { text: title }));
  if (!labels.length || !values.length) {
    figure.append(h("p", { class: "muted", text: "No data to chart." }));
    return figure;
  }
  const H = 260;
  const maxRaw = Math.max(0, ...values);
  const minRaw = Math.min(0, ...values);
  const { step } = niceScale(maxRaw - minRaw);
  const maxV = Math.ceil(maxRaw / step - 1e-9) * step || step;
  const minV = Math.floor(minRaw / step + 1e-9) * step;
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + innerH - ((v - minV) / (maxV - minV || 1)) * innerH;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, class: "chart-svg" },
    s("title", {}, title));
  // grid and y axis
  for (let i = 0; minV + i * step <= maxV + step / 1e6; i += 1) {
    const v = minV + i * step;
    svg.append(s("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: "grid" }),
      s("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, fmt(v)));
  }
  const band = innerW / labels.length;
  const type = chart.type || "bar";
  if (type === "line") {
    series.forEach((ser, si) => {
      const pts = labels.map((_, i) => [PAD.left + band * (i + 0.5), y(Number(ser.values[i]) || 0)]);
      svg.append(s("polyline", { points: pts.map((p) => p.join(",")).join(" "), fill: "none",
        stroke: PALETTE[si % PALETTE.length], "stroke-width": 2 }));
      pts.forEach((p, i) => svg.append(s("circle", { cx: p[0], cy: p[1], r: 2.5, fill: PALETTE[si % PALETTE.length] },
        s("title", {}, `${labels[i]}: ${ser.values[i]}`))));
    });
  } else {
    const gap = type === "histogram" ? 0 : Math.min(8, band * 0.2);
    const barW = (band - gap) / series.length;
    series.forEach((ser, si) => {
      labels.forEach((label, i) => {
        const v = Number(ser.values[i]);
        if (!Number.isFinite(v)) return;
        const x = PAD.left + band * i + gap / 2 + barW * si;
        const top = Math.min(y(v), y(0));
        svg.append(s("rect", { x, y: top, width: Math.max(1, barW - (type === "histogram" ? 1 : 0)),
          height: Math.max(0.5, Math.abs(y(0) - y(v))), fill: PALETTE[si % PALETTE.length], class: "bar" },
        s("title", {}, `${series.length > 1 ? `${ser.name} · ` : ""}${label}: ${v.toLocaleString()}`)));
      });
    });
  }
  // x labels: at most ~20 to stay legible
  const labelStep = Math.ceil(labels.length / 20);
  labels.forEach((label, i) => {
    if (i % labelStep) return;
    const x = PAD.left + band * (i + 0.5);
    svg.append(s("text", { x, y: H - PAD.bottom + 14, "text-anchor": "end", class: "tick",
      transform: `rotate(-35 ${x} ${H - PAD.bottom + 14})` }, truncate(label, 18)));
  });
  svg.append(s("line", { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), class: "axis" }));
  if (chart.y_title) {
    svg.append(s("text", { x: 12, y: PAD.top + innerH / 2, transform: `rotate(-90 12 ${PAD.top + innerH / 2})`,
      "text-anchor": "middle", class: "axis-title" }, chart.y_title));
  }
  if (chart.x_title) {
    svg.append(s("text", { x: PAD.left + innerW / 2, y: H - 4, "text-anchor": "middle", class: "axis-title" }, chart.x_title));
  }
  figure.append(svg);
  if (series.length > 1) {
    figure.append(h("ul", { class: "legend" }, series.map((ser, si) =>
      h("li", {}, h("span", { class: `swatch swatch-${si % PALETTE.length}` }), ser.name || `Series ${si + 1}`))));
  }
  return figure;
}
