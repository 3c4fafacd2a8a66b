// Inline SVG plots for the report: line charts (training curves, ROC curves) and overlaid
// histograms (score distributions). No script, no external resource; text is escaped.

import Foundation

/// One plotted series.
struct ChartSeries {
    /// Legend text.
    var label: String
    /// Points in data coordinates.
    var points: [(x: Double, y: Double)]
    /// Drawn as a staircase (histograms) instead of straight segments.
    var steps = false
    /// Dashed line (reference lines such as the ROC diagonal).
    var dashed = false
    /// Drawn as dots (a scatter plot) instead of a line.
    var dots = false
}

/// A line chart with axes, ticks and a legend.
struct SVGChart {
    var title: String
    var xLabel: String
    var yLabel: String
    var series: [ChartSeries]
    /// Fixed ranges (else the data's).
    var xRange: ClosedRange<Double>?
    var yRange: ClosedRange<Double>?
    var width = 540.0
    var height = 300.0

    static let palette = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    ]

    /// The chart as an `<svg>` element.
    var svg: String {
        let left = 58.0
        // The legend sits right of the plot, so it never hides a curve.
        let right = 130.0
        let top = 28.0
        let bottom = 44.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        let ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        let xDomain = xRange ?? SVGChart.padded(xs)
        let yDomain = yRange ?? SVGChart.padded(ys)
        func px(_ x: Double) -> Double {
            left + (x - xDomain.lowerBound) / max(xDomain.upperBound - xDomain.lowerBound, 1e-300) * plotWidth
        }
        func py(_ y: Double) -> Double {
            top + plotHeight - (y - yDomain.lowerBound)
                / max(yDomain.upperBound - yDomain.lowerBound, 1e-300) * plotHeight
        }
        var out = String(
            format:
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%.0f\" height=\"%.0f\" "
                + "viewBox=\"0 0 %.0f %.0f\" role=\"img\">", width, height, width, height)
        out += "<title>\(title.htmlEscaped)</title>"
        out += String(
            format:
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" stroke=\"#999\"/>",
            left, top, plotWidth, plotHeight)
        out += String(
            format: "<text x=\"%.1f\" y=\"16\" class=\"chart-title\">%@</text>", left, title.htmlEscaped)
        for tick in SVGChart.ticks(xDomain) {
            out += String(
                format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    + "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%@</text>",
                px(tick), top, px(tick), top + plotHeight, px(tick), top + plotHeight + 14,
                SVGChart.label(tick))
        }
        for tick in SVGChart.ticks(yDomain) {
            out += String(
                format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    + "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%@</text>",
                left, py(tick), left + plotWidth, py(tick), left - 4, py(tick) + 4, SVGChart.label(tick))
        }
        out += String(
            format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"axis\">%@</text>",
            left + plotWidth / 2, height - 8, xLabel.htmlEscaped)
        out += String(
            format:
                "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">%@</text>",
            top + plotHeight / 2, yLabel.htmlEscaped)
        for (number, line) in series.enumerated() {
            let color = SVGChart.palette[number % SVGChart.palette.count]
            var path = ""
            var previous: (x: Double, y: Double)?
            for point in line.points where point.x.isFinite && point.y.isFinite {
                let x = px(min(max(point.x, xDomain.lowerBound), xDomain.upperBound))
                let y = py(min(max(point.y, yDomain.lowerBound), yDomain.upperBound))
                if line.dots {
                    out += String(
                        format:
                            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.4\" fill=\"%@\" fill-opacity=\"0.5\"/>", x,
                        y, color)
                    continue
                }
                if previous == nil {
                    path += String(format: "M%.1f %.1f", x, y)
                } else if line.steps {
                    path += String(format: "H%.1f V%.1f", x, y)
                } else {
                    path += String(format: "L%.1f %.1f", x, y)
                }
                previous = (x, y)
            }
            if line.points.count == 1, let only = previous {
                out += String(
                    format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", only.x, only.y, color)
            }
            if !line.dots {
                out +=
                    "<path d=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\""
                    + (line.dashed ? " stroke-dasharray=\"4 3\"" : "") + "/>"
            }
            let legendY = top + 14 + Double(number) * 15
            out += String(
                format:
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2\"/>"
                    + "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">%@</text>",
                left + plotWidth + 8, legendY - 4, left + plotWidth + 24, legendY - 4, color,
                left + plotWidth + 28, legendY, line.label.htmlEscaped)
        }
        return out + "</svg>"
    }

    /// The data's range with a little room (a unit range around a single value).
    static func padded(_ values: [Double]) -> ClosedRange<Double> {
        guard let low = values.min(), let high = values.max() else { return 0...1 }
        if high - low < 1e-12 { return (low - 1)...(high + 1) }
        let room = (high - low) * 0.05
        return (low - room)...(high + room)
    }

    /// About five round tick values inside `range`.
    static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [] }
        let rough = span / 5
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? rough
        var tick = ceil(range.lowerBound / step) * step
        var result: [Double] = []
        while tick <= range.upperBound + step * 1e-9 && result.count < 12 {
            result.append(abs(tick) < step * 1e-9 ? 0 : tick)
            tick += step
        }
        return result
    }

    /// A short tick label.
    static func label(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1e5 || (magnitude < 1e-3 && magnitude > 0) { return String(format: "%.1e", value) }
        if value == value.rounded() { return String(format: "%.0f", value) }
        return String(format: "%g", (value * 1000).rounded() / 1000)
    }
}

/// Fractions of `values` in `bins` equal bins over `range`, as histogram steps (left edges,
/// then the right edge of the last bin).
func histogram(_ values: [Double], range: ClosedRange<Double>, bins: Int) -> [(x: Double, y: Double)] {
    var counts = [Double](repeating: 0, count: bins)
    let width = (range.upperBound - range.lowerBound) / Double(bins)
    for value in values where value.isFinite {
        // Clamped as a Double first: a score far outside the range (1e30) must not overflow Int.
        let position = ((value - range.lowerBound) / max(width, 1e-300)).rounded(.down)
        guard !position.isNaN else { continue }
        counts[position < 0 ? 0 : position >= Double(bins) ? bins - 1 : Int(position)] += 1
    }
    let total = Double(max(values.count, 1))
    var points = (0..<bins).map { (x: range.lowerBound + Double($0) * width, y: counts[$0] / total) }
    points.append((range.upperBound, counts[bins - 1] / total))
    return points
}
