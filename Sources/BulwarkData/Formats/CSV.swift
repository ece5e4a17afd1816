/// Comma-separated values as RFC 4180 defines them: records end with CRLF or LF (a final line
/// break is optional), fields are separated by commas, a field in double quotes may hold
/// commas, line breaks and doubled quotes (`""` for one `"`). A quote inside an unquoted
/// field, text after a closing quote, or a quote left open is an error naming the line and
/// column. Bytes are UTF-8 (a leading byte-order mark is skipped); blank lines are skipped.
///
/// ```swift
/// let table = try CSV.parse(Array("a,b\n1,\"x, y\"\n".utf8), label: "t.csv")
/// // table.records == [["a", "b"], ["1", "x, y"]], table.lines == [1, 2]
/// ```
public enum CSV {
    /// Parsed records and the line each starts on.
    public struct Table: Sendable, Equatable {
        /// The records in file order, each a list of fields (the header is the first record).
        public let records: [[String]]
        /// The 1-based line on which each record starts.
        public let lines: [Int]
    }

    /// The largest number of fields accepted in one record by default.
    public static let defaultMaxFields = 100_000

    /// Parses `bytes`.
    /// - Parameters:
    ///   - label: names the file in error messages.
    ///   - maxFields: the largest number of fields in one record.
    /// - Throws: ``DataError`` `.malformed` naming the line and column of a quoting fault,
    ///   `.limitExceeded` for a record with too many fields.
    public static func parse(_ bytes: [UInt8], label: String, maxFields: Int = defaultMaxFields) throws(DataError) -> Table {
        var records: [[String]] = []
        var lines: [Int] = []
        var record: [String] = []
        var field: [UInt8] = []
        var line = 1, recordLine = 1, column = 1
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var quoted = false        // inside a quoted field
        var wasQuoted = false     // the current field was quoted and its quote is closed
        var fieldStarted = false  // the current record has content
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, cr: UInt8 = 0x0D, lf: UInt8 = 0x0A

        func endField() throws(DataError) {
            guard record.count < maxFields else {
                throw DataError(.limitExceeded, "\(label): line \(recordLine) has more than \(maxFields) fields")
            }
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() throws(DataError) {
            if fieldStarted || !record.isEmpty {
                try endField()
                records.append(record)
                lines.append(recordLine)
            }
            record = []
            fieldStarted = false
        }

        while i < bytes.count {
            let byte = bytes[i]
            if quoted {
                if byte == quote {
                    if i + 1 < bytes.count && bytes[i + 1] == quote {
                        field.append(quote)
                        i += 2
                        column += 2
                        continue
                    }
                    quoted = false
                    wasQuoted = true
                } else {
                    field.append(byte)
                    if byte == lf {
                        line += 1
                        column = 0
                    }
                }
                i += 1
                column += 1
                continue
            }
            switch byte {
            case comma:
                try endField()
                fieldStarted = true
            case lf, cr:
                if byte == cr && i + 1 < bytes.count && bytes[i + 1] == lf { i += 1 }
                try endRecord()
                line += 1
                column = 0
                recordLine = line
            case quote:
                guard field.isEmpty && !wasQuoted else {
                    throw DataError(.malformed, "\(label): line \(line), column \(column): stray double quote in an unquoted field")
                }
                quoted = true
                fieldStarted = true
            default:
                guard !wasQuoted else {
                    throw DataError(.malformed, "\(label): line \(line), column \(column): text after the closing quote of a field")
                }
                field.append(byte)
                fieldStarted = true
            }
            i += 1
            column += 1
        }
        guard !quoted else {
            throw DataError(.malformed, "\(label): line \(recordLine): quoted field not closed before the end of the file")
        }
        try endRecord()
        return Table(records: records, lines: lines)
    }
}
