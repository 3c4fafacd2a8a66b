// Text that goes into the report's HTML and SVG: everything that comes from a config, a file
// name or a label passes through `escaped` first, so a run named `<script>` stays text.

import Foundation

extension String {
    /// The string with HTML's special characters replaced by entities (safe in text and in
    /// double- or single-quoted attributes).
    public var htmlEscaped: String {
        var result = ""
        result.reserveCapacity(utf8.count)
        for character in self {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}

/// A number for a table cell: fixed decimals, "—" for nil, "n/a" for NaN.
func cell(_ value: Double?, decimals: Int = 3) -> String {
    guard let value else { return "—" }
    guard value.isFinite else { return "n/a" }
    return String(format: "%.\(decimals)f", value)
}

/// Seconds as "1 h 02 min", "3 min 05 s" or "12.3 s".
func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "—" }
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    let total = Int(seconds.rounded())
    if total < 3600 { return String(format: "%d min %02d s", total / 60, total % 60) }
    return String(format: "%d h %02d min", total / 3600, (total % 3600) / 60)
}

/// An integer with thousands separators: 1379152 → "1,379,152".
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (position, digit) in digits.enumerated() {
        if position > 0, (digits.count - position) % 3 == 0 { out += "," }
        out.append(digit)
    }
    return value < 0 ? "-" + out : out
}
