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
