import Foundation

/// Renders a ``Report`` as one self-contained HTML page: inline CSS, inline SVG charts, images as
/// `data:` URIs, no scripts and no external assets.
public enum HTML {
    /// The page.
    public static func render(_ report: Report) -> String {
        var h = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        h += "<title>\(escape(report.title))</title><style>\(css)</style></head><body><main>"
        h += "<header><h1>\(escape(report.title))</h1><p class=\"meta\">\(escape(report.tool)) \(escape(report.toolVersion)) · \(escape(report.createdAt))"
        if let seed = report.seed { h += " · seed \(seed)" }
        h += "</p></header>"
        h += summary(report)
        h += findingsTable(report)
        for section in report.sections { h += render(section) }
        h += reproduceBlock(report)
        h += "</main></body></html>\n"
        return h
    }

    static func summary(_ report: Report) -> String {
        var counts: [Severity: Int] = [:]
        for f in report.findings { counts[f.severity, default: 0] += 1 }
        var s = "<section class=\"summary\">"
        for sev in Severity.allCases.reversed() {
            s += "<div class=\"badge sev-\(sev.rawValue)\"><span>\(counts[sev] ?? 0)</span>\(sev.rawValue)</div>"
        }
        let unreliable = report.findings.filter { if case .unreliable = $0.reliability { true } else { false } }.count
        if unreliable > 0 { s += "<div class=\"badge unreliable\"><span>\(unreliable)</span>unreliable</div>" }
        let unchecked = report.findings.filter { if case .notChecked = $0.reliability { true } else { false } }.count
        if unchecked > 0 { s += "<div class=\"badge unreliable\"><span>\(unchecked)</span>not checked</div>" }
        return s + "</section>"
    }

    static func findingsTable(_ report: Report) -> String {
        guard !report.findings.isEmpty else { return "<section><h2>Findings</h2><p>No findings were produced.</p></section>" }
        var s = "<section><h2>Findings</h2><table class=\"findings\"><thead><tr><th>Severity</th><th>Finding</th><th>Technique</th><th>ATLAS</th><th>OWASP ML</th><th>Evidence</th></tr></thead><tbody>"
        for f in report.sortedFindings {
            s += "<tr><td><span class=\"pill sev-\(f.severity.rawValue)\">\(f.severity.rawValue)</span></td>"
            s += "<td><strong>\(escape(f.title))</strong><p>\(escape(f.detail))</p>"
            switch f.reliability {
            case .reliable: break
            case .unreliable(let reasons):
                s += "<p class=\"warn\"><strong>Unreliable:</strong> " + reasons.map(escape).joined(separator: "; ") + "</p>"
            case .notChecked(let reason):
                s += "<p class=\"warn\"><strong>Not checked:</strong> " + escape(reason) + "</p>"
            }
            if let a = f.artifact { s += "<p class=\"artifact\">\(escape(a))</p>" }
            if !f.reproduce.isEmpty { s += "<p class=\"repro\">reproduce: <code>\(escape(f.reproduce))</code></p>" }
            s += "</td><td>\(escape(f.technique))</td>"
            s += "<td><a href=\"\(escape(ATLAS.url(of: f.atlasID)))\" title=\"\(escape(ATLAS.name(of: f.atlasID)))\">\(escape(f.atlasID))</a></td>"
            s += "<td title=\"\(escape(OWASPML.name(of: f.owaspID)))\">\(escape(f.owaspID))</td><td><ul>"
            for m in f.metrics { s += "<li>\(escape(m.name)): \(escape(format(m)))</li>" }
            s += "</ul></td></tr>"
        }
        return s + "</tbody></table></section>"
    }

    static func render(_ section: Section) -> String {
        var s = "<section><h2>\(escape(section.title))</h2>"
        if let t = section.text { s += "<p>\(escape(t))</p>" }
        if !section.charts.isEmpty {
            s += "<div class=\"charts\">" + section.charts.map { "<figure>\(SVGChart.render($0))</figure>" }.joined() + "</div>"
        }
        for t in section.tables {
            s += "<h3>\(escape(t.title))</h3><table><thead><tr>" + t.columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            for r in t.rows { s += "<tr>" + r.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }
            s += "</tbody></table>"
        }
        for g in section.imageGrids {
            s += "<h3>\(escape(g.title))</h3><table class=\"grid\"><thead><tr>" + g.columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            for row in g.rows {
                s += "<tr>"
                for img in row.images {
                    let scale = max(1, 112 / max(img.width, 1))
                    s += "<td><figure><img src=\"\(PNG.dataURI(img, scale: scale))\" width=\"\(img.width * scale)\" height=\"\(img.height * scale)\" alt=\"\(escape(img.caption))\"><figcaption>\(escape(img.caption))</figcaption></figure></td>"
                }
                s += "</tr>"
            }
            s += "</tbody></table>"
        }
        return s + "</section>"
    }

    static func reproduceBlock(_ report: Report) -> String {
        var s = "<section><h2>Reproduce</h2><pre>\(escape(report.command))</pre>"
        if !report.parameters.isEmpty {
            s += "<h3>Parameters</h3><table><tbody>"
            for (k, v) in report.parameters.sorted(by: { $0.key < $1.key }) { s += "<tr><th>\(escape(k))</th><td>\(escape(v))</td></tr>" }
            s += "</tbody></table>"
        }
        s += "<h3>Environment</h3><table><tbody>"
        for (k, v) in report.environment.sorted(by: { $0.key < $1.key }) { s += "<tr><th>\(escape(k))</th><td>\(escape(v))</td></tr>" }
        return s + "</tbody></table></section>"
    }

    static func format(_ m: Metric) -> String {
        let v = m.value
        if m.unit == "fraction" { return String(format: "%.1f%%", v * 100) }
        let number = v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(format: "%.4g", v)
        return m.unit.isEmpty ? number : "\(number) \(m.unit)"
    }

    /// Escapes text for HTML element content and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    static let css = """
    body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f9fafb;color:#111827}
    main{max-width:1100px;margin:0 auto;padding:24px}
    h1{margin:0 0 4px;font-size:26px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
    .meta{color:#6b7280;margin:0}
    .summary{display:flex;gap:12px;margin:20px 0}
    .badge{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 14px;text-transform:capitalize;color:#374151}
    .badge span{display:block;font-size:22px;font-weight:700}
    table{border-collapse:collapse;width:100%;background:#fff;font-size:14px;margin:8px 0}
    th,td{border:1px solid #e5e7eb;padding:6px 8px;text-align:left;vertical-align:top}
    th{background:#f3f4f6}
    .findings p{margin:4px 0;color:#374151}.findings ul{margin:0;padding-left:16px}
    .pill{border-radius:999px;padding:2px 8px;font-size:12px;font-weight:600;color:#fff}
    .sev-critical.pill{background:#7f1d1d}.sev-high.pill{background:#dc2626}.sev-medium.pill{background:#ea580c}
    .sev-low.pill{background:#ca8a04}.sev-info.pill{background:#6b7280}
    .badge.sev-critical span,.badge.sev-high span{color:#dc2626}.badge.unreliable span{color:#9333ea}
    .repro{font-size:12px;color:#6b7280!important}.repro code{font-family:ui-monospace,monospace;color:#111827;word-break:break-all}
    .warn{color:#9333ea!important}.artifact{font-family:ui-monospace,monospace;font-size:12px;color:#6b7280!important}
    .charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}
    .grid{width:auto}.grid td{text-align:center;padding:6px 14px}.grid img{image-rendering:pixelated;border:1px solid #d1d5db}
    figcaption{font-size:12px;color:#374151}
    pre{background:#111827;color:#f9fafb;padding:12px;border-radius:6px;overflow-x:auto;white-space:pre-wrap}
    """
}
