
extension String {
    /// The string as one printable line for an error message: control characters are escaped
    /// (`\n`, `\u{1b}`, …) and the result is cut to `limit` characters, so hostile names in a
    /// file can neither break a log line nor flood it.
    func escapedForMessage(limit: Int = 400) -> String {
        var out = ""
        for scalar in unicodeScalars {
            if out.unicodeScalars.count >= limit { out += "…"; break }
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                out += scalar.escaped(asASCII: true)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
