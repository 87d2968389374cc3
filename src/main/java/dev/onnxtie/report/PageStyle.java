package dev.onnxtie.report;

/**
 * The report's style sheet, inline in the page (its Content-Security-Policy allows inline styles
 * and nothing else): light colours, kept tensors green, removed red, added blue.
 */
final class PageStyle {
  private PageStyle() {}

  static final String CSS =
      """
      :root{color-scheme:light;--fg:#1d2330;--muted:#667085;--line:#d0d5dd;--kept:#1f7a4d;--removed:#b42318;--added:#175cd3}
      body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:1200px;padding:16px 24px}
      code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
      h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line)}h3{font-size:15px;margin:0 0 4px}
      .command code{display:block;background:#f2f4f7;padding:6px 8px;border-radius:4px;white-space:pre-wrap}
      .muted{color:var(--muted)}.defs{position:absolute}
      table{border-collapse:collapse;margin:6px 0}th,td{text-align:left;padding:3px 10px 3px 0;vertical-align:top}
      thead th{font-weight:600;border-bottom:1px solid var(--line)}.num{text-align:right;white-space:nowrap}
      table.bytes{width:100%}table.bytes td:nth-child(3){width:55%}
      .bar{position:relative;z-index:0;height:18px;margin:2px 0;font-size:12px;line-height:18px;padding-left:4px;white-space:nowrap}
      .bar span[style]{position:absolute;left:0;top:0;bottom:0;z-index:-1;border-radius:2px}
      .bar.before span[style]{background:#fecdca}.bar.after span[style]{background:#abefc6}.bar.diff span[style]{background:#fedf89}
      .bar.diff{width:160px}
      article.tie{border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin:12px 0}
      .relation{font-weight:600}.outcome{font-style:italic}
      tr.kept th{color:var(--kept)}tr.removed th{color:var(--removed)}
      .pair{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
      figure{margin:4px 0;border:1px solid #eaecf0;border-radius:4px;padding:4px 8px;overflow-x:auto;max-width:100%}
      figcaption{font-weight:600;font-size:12px;text-transform:uppercase;color:var(--muted)}
      svg.graph text{font:12px ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;text-anchor:middle;fill:var(--fg)}
      svg.graph text.detail{fill:var(--muted);font-size:11px}
      svg.graph rect{fill:#fff;stroke:#98a2b3;stroke-width:1.2}
      svg.graph .tensor rect{fill:#f9fafb}svg.graph .kept rect{stroke:var(--kept);stroke-width:2.2;fill:#ecfdf3}
      svg.graph .removed rect{stroke:var(--removed);stroke-width:2.2;fill:#fef3f2;stroke-dasharray:5 3}
      svg.graph .added rect{stroke:var(--added);stroke-width:2.2;fill:#eff8ff}svg.graph .more rect{stroke-dasharray:3 3}
      svg.graph path.edge{fill:none;stroke:#667085;stroke-width:1.2}marker path{fill:#667085}
      svg.histogram text{font:10px ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;text-anchor:middle;fill:var(--fg)}
      svg.histogram .axis{stroke:#98a2b3}svg.histogram .range rect{fill:#fdb022}svg.histogram .zero rect{fill:#47cd89}
      svg.histogram .naninf rect{fill:#f04438}svg.histogram text.label{fill:var(--muted)}
      .pass{color:var(--kept);font-weight:600}.fail{color:var(--removed);font-weight:600}
      """;
}
