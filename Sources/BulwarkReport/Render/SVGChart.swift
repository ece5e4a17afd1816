import Foundation

/// Renders a ``LineChart`` as inline SVG (no scripts, no external assets).
enum SVGChart {
    static let palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#ca8a04"]

    static func render(_ chart: LineChart, width: Double = 760, height: Double = 340) -> String {
        let longest = chart.series.map(\.name.count).max() ?? 0
        let (left, right, top, bottom) = (56.0, min(320.0, max(120.0, 40 + Double(longest) * 6.6)), 28.0, 44.0)
        let plotW = width - left - right, plotH = height - top - bottom
        let xs = chart.series.flatMap { $0.points.map(\.x) }
        let ys = chart.series.flatMap { $0.points.map(\.y) }
        let xMin = xs.min() ?? 0, xMax = max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-12)
        let yRange = chart.yRange ?? ((ys.min() ?? 0)...max(ys.max() ?? 1, (ys.min() ?? 0) + 1e-12))
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotW }
        func py(_ y: Double) -> Double { top + (1 - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)) * plotH }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"\(HTML.escape(chart.title))\">"
        s += "<text x=\"\(f(left))\" y=\"18\" font-size=\"14\" font-weight=\"600\">\(HTML.escape(chart.title))</text>"
        // grid and ticks
        for i in 0...4 {
            let y = yRange.lowerBound + Double(i) / 4 * (yRange.upperBound - yRange.lowerBound)
            s += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" stroke=\"#e5e7eb\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(y) + 4))\" font-size=\"11\" text-anchor=\"end\">\(tick(y))</text>"
        }
        let xTicks = Array(Set(xs)).sorted()
        for x in (xTicks.count <= 8 ? xTicks : (0...4).map { xMin + Double($0) / 4 * (xMax - xMin) }) {
            s += "<text x=\"\(f(px(x)))\" y=\"\(f(top + plotH + 16))\" font-size=\"11\" text-anchor=\"middle\">\(tick(x))</text>"
        }
        s += "<line x1=\"\(f(left))\" x2=\"\(f(left))\" y1=\"\(f(top))\" y2=\"\(f(top + plotH))\" stroke=\"#374151\"/>"
        s += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(top + plotH))\" y2=\"\(f(top + plotH))\" stroke=\"#374151\"/>"
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 6))\" font-size=\"12\" text-anchor=\"middle\">\(HTML.escape(chart.xLabel))</text>"
        s += "<text x=\"14\" y=\"\(f(top + plotH / 2))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(top + plotH / 2)))\">\(HTML.escape(chart.yLabel))</text>"
        var measured = 0
        for (k, series) in chart.series.enumerated() {
            let pts = series.points.sorted { $0.x < $1.x }
            let ly = top + 12 + Double(k) * 18
            let lx = left + plotW + 12
            if series.reference {
                if pts.count > 1 {
                    s += "<polyline fill=\"none\" stroke=\"#9ca3af\" stroke-width=\"1.5\" stroke-dasharray=\"4 4\" points=\"" + pts.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ") + "\"/>"
                }
                s += "<line x1=\"\(f(lx))\" x2=\"\(f(lx + 14))\" y1=\"\(f(ly - 7))\" y2=\"\(f(ly - 7))\" stroke=\"#9ca3af\" stroke-width=\"1.5\" stroke-dasharray=\"4 4\"/>"
                s += "<text x=\"\(f(lx + 20))\" y=\"\(f(ly - 4))\" font-size=\"11\">\(HTML.escape(series.name)) (reference)</text>"
                continue
            }
            // Colour, dash pattern and marker all change with the series, and markers shrink as
            // series are added, so curves that coincide still show each of their markers.
            let color = palette[measured % palette.count]
            let dash = dashes[measured % dashes.count]
            let size = max(2.5, 5.5 - Double(measured) * 0.75)
            let shape = measured % 4
            measured += 1
            let dashAttribute = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
            if pts.count > 1 {
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dashAttribute) points=\"" + pts.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ") + "\"/>"
            }
            for p in pts {
                s += marker(shape, x: px(p.x), y: py(p.y), size: size, color: color,
                            title: "\(HTML.escape(series.name)): (\(tick(p.x)), \(tick(p.y)))")
            }
            s += "<line x1=\"\(f(lx))\" x2=\"\(f(lx + 14))\" y1=\"\(f(ly - 7))\" y2=\"\(f(ly - 7))\" stroke=\"\(color)\" stroke-width=\"2\"\(dashAttribute)/>"
            s += marker(shape, x: lx + 7, y: ly - 7, size: 3.5, color: color, title: nil)
            s += "<text x=\"\(f(lx + 20))\" y=\"\(f(ly - 4))\" font-size=\"11\">\(HTML.escape(series.name))</text>"
        }
        return s + "</svg>"
    }

    /// Dash patterns by series: solid, dashed, dotted, dash-dot.
    static let dashes = ["", "7 3", "2 3", "8 3 2 3"]

    /// A hollow marker: circle, square, triangle or diamond (`shape` 0–3) of half-size `size`.
    static func marker(_ shape: Int, x: Double, y: Double, size r: Double, color: String, title: String?) -> String {
        let style = "fill=\"white\" stroke=\"\(color)\" stroke-width=\"1.5\""
        let tip = title.map { "<title>\($0)</title>" } ?? ""
        switch shape {
        case 1:
            return "<rect x=\"\(f(x - r))\" y=\"\(f(y - r))\" width=\"\(f(2 * r))\" height=\"\(f(2 * r))\" \(style)>\(tip)</rect>"
        case 2:
            return "<polygon points=\"\(f(x)),\(f(y - r)) \(f(x + r)),\(f(y + r)) \(f(x - r)),\(f(y + r))\" \(style)>\(tip)</polygon>"
        case 3:
            return "<polygon points=\"\(f(x)),\(f(y - r)) \(f(x + r)),\(f(y)) \(f(x)),\(f(y + r)) \(f(x - r)),\(f(y))\" \(style)>\(tip)</polygon>"
        default:
            return "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\" \(style)>\(tip)</circle>"
        }
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func tick(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        return String(format: abs(v) < 0.01 ? "%.4g" : "%.3g", v)
    }
}
