extension String {
    /// The string as one printable line for an error message: control characters (C0, DEL, C1)
    /// are escaped (`\n`, `\u{1B}`, …) and the result is cut to `limit` Unicode scalars followed
    /// by `…`, so hostile names quoted from a file can neither break a log line nor flood it.
    ///
    /// Every ``BulwarkError`` applies it to its message when it is made. Cost: O(`count`).
    ///
    /// ```swift
    /// "a\nb".oneLine()   // "a\\nb"
    /// ```
    package func oneLine(limit: Int = 400) -> String {
        var out = ""
        var scalars = 0
        for scalar in unicodeScalars {
            if scalars >= limit { out += "…"; break }
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                let escaped = scalar.escaped(asASCII: true)
                out += escaped
                scalars += escaped.unicodeScalars.count
            } else {
                out.unicodeScalars.append(scalar)
                scalars += 1
            }
        }
        return out
    }
}
