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
        for (k, series) in chart.series.enumerated() {
            let color = palette[k % palette.count]
            let pts = series.points.sorted { $0.x < $1.x }
            if pts.count > 1 {
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"" + pts.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ") + "\"/>"
            }
            for p in pts {
                s += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(color)\"><title>\(HTML.escape(series.name)): (\(tick(p.x)), \(tick(p.y)))</title></circle>"
            }
            let ly = top + 12 + Double(k) * 18
            s += "<rect x=\"\(f(left + plotW + 12))\" y=\"\(f(ly - 9))\" width=\"12\" height=\"3\" fill=\"\(color)\"/>"
            s += "<text x=\"\(f(left + plotW + 30))\" y=\"\(f(ly - 4))\" font-size=\"11\">\(HTML.escape(series.name))</text>"
        }
        return s + "</svg>"
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func tick(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        return String(format: abs(v) < 0.01 ? "%.4g" : "%.3g", v)
    }
}
