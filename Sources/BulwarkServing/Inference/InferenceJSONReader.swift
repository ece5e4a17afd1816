/// A strict JSON reader for Open Inference Protocol requests, over bytes the caller keeps alive.
///
/// It reads the request's known fields into their types directly (the tensor data straight into
/// `[Float]`), skips unknown fields after checking they are well-formed JSON, and refuses
/// duplicate known keys (two readers of one body must never see two different requests). Every
/// read is bounds-checked; depth, element count and string length are limited.
struct InferenceJSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: InferenceRequestLimits
    var position = 0
    var elements = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, limits: InferenceRequestLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    // MARK: the request

    mutating func request() throws(ServingError) -> InferenceRequest {
        var id: String?
        var inputs: [InferenceInput]?
        var outputs: [String]?
        var seen = Set<String>()
        try object(depth: 1) { (reader: inout InferenceJSONReader, key: String) throws(ServingError) in
            switch key {
            case "id", "inputs", "outputs", "parameters":
                guard seen.insert(key).inserted else { throw Self.invalid("request body: duplicate key '\(key)'") }
            default: break
            }
            switch key {
            case "id": id = try reader.string(field: "id")
            case "inputs": inputs = try reader.inputs()
            case "outputs": outputs = try reader.requestedOutputs()
            case "parameters": try reader.parameters(field: "parameters")
            default: try reader.skipValue(depth: 2)
            }
        }
        skipWhitespace()
        guard position == bytes.count else { throw Self.invalid("request body: unexpected bytes after the JSON object") }
        guard let inputs, !inputs.isEmpty else { throw Self.invalid("inputs: expected a non-empty array of tensors") }
        return InferenceRequest(id: id, inputs: inputs, requestedOutputs: outputs ?? [])
    }

    mutating func inputs() throws(ServingError) -> [InferenceInput] {
        var result: [InferenceInput] = []
        try array(depth: 2, field: "inputs") { (reader: inout InferenceJSONReader) throws(ServingError) in
            guard result.count < reader.limits.maxInputs else { throw Self.invalid("inputs: more than \(reader.limits.maxInputs) tensors") }
            result.append(try reader.input(index: result.count))
        }
        return result
    }

    mutating func input(index: Int) throws(ServingError) -> InferenceInput {
        var name: String?
        var shape: [Int]?
        var datatype: InferenceDatatype?
        var data: [Float]?
        var seen = Set<String>()
        let label = "inputs[\(index)]"
        try object(depth: 3) { (reader: inout InferenceJSONReader, key: String) throws(ServingError) in
            switch key {
            case "name", "shape", "datatype", "data", "parameters":
                guard seen.insert(key).inserted else { throw Self.invalid("\(label): duplicate key '\(key)'") }
            default: break
            }
            switch key {
            case "name": name = try reader.string(field: "\(label).name")
            case "shape": shape = try reader.shape(field: "\(label).shape")
            case "datatype":
                let text = try reader.string(field: "\(label).datatype")
                guard let type = InferenceDatatype(rawValue: text) else {
                    throw Self.invalid("\(label).datatype '\(text.prefix(32))': expected one of \(InferenceDatatype.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                datatype = type
            case "data":
                var values: [Float] = []
                // The shape, when it came first, says how many values to expect (capped by the
                // element limit, so a hostile shape cannot make this allocate more).
                if let shape, shape.allSatisfy({ $0 >= 0 }) {
                    let expected = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
                    values.reserveCapacity(min(expected, reader.limits.maxElements, 1 << 20))
                }
                try reader.data(into: &values, depth: 4, field: "\(label).data")
                data = values
            case "parameters": try reader.parameters(field: "\(label).parameters")
            default: try reader.skipValue(depth: 4)
            }
        }
        guard let name else { throw Self.invalid("\(label).name: missing") }
        guard let shape else { throw Self.invalid("\(label).shape: missing") }
        guard let datatype else { throw Self.invalid("\(label).datatype: missing") }
        guard let data else { throw Self.invalid("\(label).data: missing (binary tensor data is not accepted)") }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= limits.maxElements else { throw Self.invalid("\(label).shape \(shape): more than \(limits.maxElements) elements") }
            count = product
        }
        guard count == data.count else {
            throw Self.invalid("\(label): shape \(shape) holds \(count) elements but data has \(data.count)")
        }
        // (FP32 and FP64 need no check here: the number reader refuses what is not a finite float)
        if datatype != .fp64, datatype != .fp32 {
            let range = datatype.range.map { Float($0.lowerBound)...Float($0.upperBound) }
            for (offset, value) in data.enumerated() {
                if let range, !range.contains(value) {
                    throw Self.invalid("\(label).data[\(offset)] = \(value): outside \(datatype.rawValue)'s range")
                }
                if datatype.isInteger, value.rounded() != value {
                    throw Self.invalid("\(label).data[\(offset)] = \(value): \(datatype.rawValue) needs whole numbers")
                }
            }
        }
        return InferenceInput(name: name, shape: shape, datatype: datatype, data: data)
    }

    mutating func requestedOutputs() throws(ServingError) -> [String] {
        var names: [String] = []
        try array(depth: 2, field: "outputs") { (reader: inout InferenceJSONReader) throws(ServingError) in
            guard names.count < 64 else { throw Self.invalid("outputs: more than 64 entries") }
            var name: String?
            try reader.object(depth: 3) { (inner: inout InferenceJSONReader, key: String) throws(ServingError) in
                switch key {
                case "name":
                    guard name == nil else { throw Self.invalid("outputs[\(names.count)]: duplicate key 'name'") }
                    name = try inner.string(field: "outputs[\(names.count)].name")
                case "parameters": try inner.parameters(field: "outputs[\(names.count)].parameters")
                default: try inner.skipValue(depth: 4)
                }
            }
            guard let name else { throw Self.invalid("outputs[\(names.count)].name: missing") }
            names.append(name)
        }
        return names
    }

    /// Reads a parameters object. Binary input data (`binary_data_size`) is refused; a request
    /// for binary outputs (`binary_data_output`, `binary_data`) is answered in JSON, which the
    /// protocol's clients accept.
    mutating func parameters(field: String) throws(ServingError) {
        try object(depth: 3) { (reader: inout InferenceJSONReader, key: String) throws(ServingError) in
            if key == "binary_data_size" { throw Self.invalid("\(field).binary_data_size: binary tensor data is not accepted; send JSON data") }
            try reader.skipValue(depth: 4)
        }
    }

    mutating func shape(field: String) throws(ServingError) -> [Int] {
        var shape: [Int] = []
        try array(depth: 3, field: field) { (reader: inout InferenceJSONReader) throws(ServingError) in
            guard shape.count < 16 else { throw Self.invalid("\(field): more than 16 dimensions") }
            let value = try reader.number(field: field)
            guard value >= 0, value <= Double(Int32.max), value.rounded() == value else {
                throw Self.invalid("\(field): expected whole non-negative dimensions")
            }
            shape.append(Int(value))
        }
        return shape
    }

    /// Appends the numbers of a (possibly nested) array to `values`, row-major.
    mutating func data(into values: inout [Float], depth: Int, field: String) throws(ServingError) {
        guard depth <= limits.maxDepth else { throw Self.invalid("\(field): nested deeper than \(limits.maxDepth)") }
        skipWhitespace()
        guard consume(UInt8(ascii: "[")) else { throw Self.invalid("\(field): expected an array of numbers") }
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return }
        while true {
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: "["):
                try data(into: &values, depth: depth + 1, field: field)
            case UInt8(ascii: "t"), UInt8(ascii: "f"):
                let flag = try boolean(field: field)
                try count(field: field)
                values.append(flag ? 1 : 0)
            default:
                // "0.0" before ',' or ']' (a zero as Python's json and most writers print a
                // float: the commonest number in an image) is read in one comparison
                if position + 4 <= bytes.count,
                   case let word = UnsafeRawPointer(bytes.baseAddress! + position).loadUnaligned(as: UInt32.self),
                   word == Self.zeroComma || word == Self.zeroBracket {
                    position += 3
                    try count(field: field)
                    values.append(0)
                } else {
                    let single = try float(field: field)
                    try count(field: field)
                    values.append(single)
                }
            }
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "]")) { return }
            throw Self.invalid("\(field): expected ',' or ']' at byte \(position)")
        }
    }

    mutating func count(field: String) throws(ServingError) {
        elements += 1
        guard elements <= limits.maxElements else { throw Self.invalid("\(field): more than \(limits.maxElements) elements in the request") }
    }

    // MARK: JSON structure

    /// Reads an object, calling `member` with the reader positioned at each value.
    mutating func object(depth: Int, _ member: (inout InferenceJSONReader, String) throws(ServingError) -> Void) throws(ServingError) {
        guard depth <= limits.maxDepth else { throw Self.invalid("request body: nested deeper than \(limits.maxDepth)") }
        skipWhitespace()
        guard consume(UInt8(ascii: "{")) else { throw Self.invalid("request body: expected a JSON object at byte \(position)") }
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return }
        while true {
            skipWhitespace()
            let key = try string(field: "request body: object key")
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw Self.invalid("request body: expected ':' at byte \(position)") }
            try member(&self, key)
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "}")) { return }
            throw Self.invalid("request body: expected ',' or '}' at byte \(position)")
        }
    }

    /// Reads an array, calling `element` with the reader positioned at each element.
    mutating func array(depth: Int, field: String, _ element: (inout InferenceJSONReader) throws(ServingError) -> Void) throws(ServingError) {
        guard depth <= limits.maxDepth else { throw Self.invalid("\(field): nested deeper than \(limits.maxDepth)") }
        skipWhitespace()
        guard consume(UInt8(ascii: "[")) else { throw Self.invalid("\(field): expected an array") }
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return }
        while true {
            try element(&self)
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "]")) { return }
            throw Self.invalid("\(field): expected ',' or ']' at byte \(position)")
        }
    }

    /// Checks and skips any JSON value.
    mutating func skipValue(depth: Int) throws(ServingError) {
        guard depth <= limits.maxDepth else { throw Self.invalid("request body: nested deeper than \(limits.maxDepth)") }
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "{"):
            try object(depth: depth) { (reader: inout InferenceJSONReader, _: String) throws(ServingError) in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            try array(depth: depth, field: "request body") { (reader: inout InferenceJSONReader) throws(ServingError) in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""): _ = try string(field: "request body")
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try boolean(field: "request body")
        case UInt8(ascii: "n"):
            guard literal("null") else { throw Self.invalid("request body: unexpected token at byte \(position)") }
        default: _ = try number(field: "request body")
        }
    }

    // MARK: scalars

    mutating func boolean(field: String) throws(ServingError) -> Bool {
        if literal("true") { return true }
        if literal("false") { return false }
        throw Self.invalid("\(field): unexpected token at byte \(position)")
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard position + length <= bytes.count else { return false }
        let matches = word.withUTF8Buffer { expected in
            (0..<length).allSatisfy { bytes[position + $0] == expected[$0] }
        }
        if matches { position += length }
        return matches
    }

    mutating func string(field: String) throws(ServingError) -> String {
        skipWhitespace()
        guard consume(UInt8(ascii: "\"")) else { throw Self.invalid("\(field): expected a string at byte \(position)") }
        var utf8: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw Self.invalid("\(field): the string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(8)
                case UInt8(ascii: "f"): utf8.append(12)
                case UInt8(ascii: "n"): utf8.append(10)
                case UInt8(ascii: "r"): utf8.append(13)
                case UInt8(ascii: "t"): utf8.append(9)
                case UInt8(ascii: "u"):
                    var scalar = try hex4(field: field)
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard literal("\\u") else { throw Self.invalid("\(field): unpaired surrogate in a \\u escape") }
                        let low = try hex4(field: field)
                        guard (0xDC00..<0xE000).contains(low) else { throw Self.invalid("\(field): unpaired surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let value = Unicode.Scalar(scalar) else { throw Self.invalid("\(field): invalid \\u escape") }
                    utf8.append(contentsOf: Array(String(Character(value)).utf8))
                default: throw Self.invalid("\(field): invalid escape at byte \(position - 1)")
                }
            case 0..<0x20:
                throw Self.invalid("\(field): control character in a string at byte \(position - 1)")
            default:
                utf8.append(byte)
            }
            guard utf8.count <= limits.maxStringBytes else { throw Self.invalid("\(field): string longer than \(limits.maxStringBytes) bytes") }
        }
        throw Self.invalid("\(field): unterminated string")
    }

    mutating func hex4(field: String) throws(ServingError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw Self.invalid("\(field): truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            position += 1
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw Self.invalid("\(field): invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Reads a JSON number (strict grammar). Short decimals are converted exactly by the fast
    /// path (≤ 19 significant digits, |exponent| ≤ 22); others by the standard library's parser.
    mutating func number(field: String) throws(ServingError) -> Double {
        skipWhitespace()
        let start = position
        var negative = false
        if peek() == UInt8(ascii: "-") { negative = true; position += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var dropped = 0
        var truncated = false
        func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= 48 && $0 <= 57 } ?? false }
        guard isDigit(peek()) else { throw Self.invalid("\(field): expected a number at byte \(start)") }
        if peek() == UInt8(ascii: "0") {
            position += 1
            guard !isDigit(peek()) else { throw Self.invalid("\(field): leading zero in a number at byte \(start)") }
        } else {
            while let c = peek(), isDigit(c) {
                if digits < 19 { mantissa = mantissa * 10 + UInt64(c - 48); digits += 1 } else { dropped += 1 }
                position += 1
            }
        }
        var fraction = 0
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard isDigit(peek()) else { throw Self.invalid("\(field): expected digits after '.' at byte \(position)") }
            while let c = peek(), isDigit(c) {
                if digits < 19 {
                    if mantissa != 0 || c != 48 { digits += 1 }
                    mantissa = mantissa * 10 + UInt64(c - 48)
                    fraction += 1
                } else {
                    truncated = true
                }
                position += 1
            }
        }
        var exponent = 0
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            var negativeExponent = false
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { negativeExponent = peek() == UInt8(ascii: "-"); position += 1 }
            guard isDigit(peek()) else { throw Self.invalid("\(field): expected exponent digits at byte \(position)") }
            while let c = peek(), isDigit(c) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(c - 48) }
                position += 1
            }
            if negativeExponent { exponent = -exponent }
        }
        let power = exponent + dropped - fraction
        if dropped == 0, !truncated, mantissa <= (1 << 53), abs(power) <= 22 {
            var value = Double(mantissa)
            value = power >= 0 ? value * Self.powersOfTen[power] : value / Self.powersOfTen[-power]
            return negative ? -value : value
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw Self.invalid("\(field): \(text.prefix(40)) is not a finite number") }
        return value
    }

    /// Reads a JSON number as the nearest 32-bit float (ties to even), the value a correctly
    /// rounding `strtof` gives for the same text.
    ///
    /// Up to 19 significant digits with a power of ten within ±22, the decimal's value is
    /// approached in double precision (exact when the digits fit 53 bits, else within a few
    /// units in the last place) and rounded to a float, unless that double lies within a few
    /// units of a float rounding boundary, where its rounding could differ from the decimal's:
    /// then, and for every other number, the text goes to the standard library's parser.
    /// - Throws: ``ServingError`` `.invalidRequest` for text that is not a JSON number or a
    ///   number beyond the float range.
    mutating func float(field: String) throws(ServingError) -> Float {
        let start = position
        let end = bytes.count
        guard let base = bytes.baseAddress else { throw Self.invalid("\(field): expected a number at byte \(start)") }
        var p = position
        var negative = false
        if p < end && base[p] == UInt8(ascii: "-") { negative = true; p += 1 }
        var mantissa: UInt64 = 0
        var digits = 0, dropped = 0, fraction = 0
        var truncated = false
        guard p < end, base[p] &- 48 < 10 else { throw Self.invalid("\(field): expected a number at byte \(start)") }
        if base[p] == UInt8(ascii: "0") {
            p += 1
            guard p >= end || base[p] &- 48 >= 10 else { throw Self.invalid("\(field): leading zero in a number at byte \(start)") }
        } else {
            while p < end {
                let d = base[p] &- 48
                if d >= 10 { break }
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(d); digits += 1 } else { dropped += 1 }
                p += 1
            }
        }
        if p < end && base[p] == UInt8(ascii: ".") {
            p += 1
            guard p < end, base[p] &- 48 < 10 else { throw Self.invalid("\(field): expected digits after '.' at byte \(p)") }
            while p < end {
                // Up to eight digits at a time (the 17-digit fractions json.dumps writes for
                // float32 values), while they fit 19 significant digits.
                if digits <= 11, p + 8 <= end {
                    let run = Self.digitRun(base + p)
                    if run.count > 0 {
                        if mantissa == 0 { digits += run.significant } else { digits += run.count }
                        mantissa = mantissa &* Self.powerOfTen(run.count) &+ run.value
                        fraction += run.count
                        p += run.count
                        if run.count < 8 { break }
                        continue
                    }
                }
                let d = base[p] &- 48
                if d >= 10 { break }
                if digits < 19 {
                    if mantissa != 0 || d != 0 { digits += 1 }
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    fraction += 1
                } else {
                    truncated = true
                }
                p += 1
            }
        }
        var exponent = 0
        if p < end && base[p] | 0x20 == UInt8(ascii: "e") {
            p += 1
            var negativeExponent = false
            if p < end && (base[p] == UInt8(ascii: "+") || base[p] == UInt8(ascii: "-")) {
                negativeExponent = base[p] == UInt8(ascii: "-")
                p += 1
            }
            guard p < end, base[p] &- 48 < 10 else { throw Self.invalid("\(field): expected exponent digits at byte \(p)") }
            while p < end {
                let d = base[p] &- 48
                if d >= 10 { break }
                if exponent < 100_000 { exponent = exponent * 10 + Int(d) }
                p += 1
            }
            if negativeExponent { exponent = -exponent }
        }
        position = p
        let power = exponent + dropped - fraction
        if dropped == 0, !truncated, power >= -22, power <= 22 {
            if mantissa == 0 { return negative ? -0.0 : 0.0 }
            let scale = Self.powersOfTen[power >= 0 ? power : -power]
            let value = power >= 0 ? Double(mantissa) * scale : Double(mantissa) / scale
            // At most two roundings of 2⁻⁵³ each: within 4 units of the double's last place of the
            // decimal. A float keeps 24 of the 53 significant bits; the 29 it drops decide its
            // rounding, which is the decimal's unless they are within 4 of the halfway pattern.
            let bits = value.bitPattern
            let biasedExponent = (bits >> 52) & 0x7FF
            let dropped29 = bits & 0x1FFF_FFFF
            if biasedExponent >= 1023 - 126, biasedExponent <= 1023 + 127, dropped29 &- (0x1000_0000 - 4) > 8 {
                let single = Float(value)
                if single.isFinite { return negative ? -single : single }
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<p]), as: UTF8.self)
        guard let single = Float(text), single.isFinite else { throw Self.invalid("\(field): \(text.prefix(40)) does not fit a 32-bit float") }
        return single
    }

    /// The digits that start the eight bytes at `pointer`: how many (0 to 8), their value, and how
    /// many of them follow the first non-zero one (all eight bytes are read; the caller checks
    /// they are in the buffer). SWAR: the bytes are tested and converted together, in pairs,
    /// then quadruples, then halves.
    @inline(__always)
    static func digitRun(_ pointer: UnsafePointer<UInt8>) -> (count: Int, value: UInt64, significant: Int) {
        let chunk = UInt64(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self))
        let t = chunk ^ 0x3030_3030_3030_3030  // a digit's byte becomes its value, 0…9
        // a byte's high bit set when it is not a digit: its value, or its low seven bits plus
        // 0x76, reaches 0x80 (the seven-bit sums cannot carry into the next byte)
        let nonDigits = ((t & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676 | t) & 0x8080_8080_8080_8080
        let count = nonDigits == 0 ? 8 : nonDigits.trailingZeroBitCount / 8  // the first digit is the low byte
        guard count > 0 else { return (0, 0, 0) }
        var v = count == 8 ? t : (t & ((1 << (8 * UInt64(count))) - 1)) << (8 * UInt64(8 - count))
        let significant = v == 0 ? 0 : 8 - v.trailingZeroBitCount / 8  // the leading zeros are the low bytes
        v = (v &* 10 &+ (v >> 8)) & 0x00FF_00FF_00FF_00FF      // 16-bit lanes: two-digit numbers
        v = (v &* 100 &+ (v >> 16)) & 0x0000_FFFF_0000_FFFF    // 32-bit lanes: four-digit numbers
        return (count, (v &* 10_000 &+ (v >> 32)) & 0xFFFF_FFFF, significant)
    }

    /// 10^`exponent` for 1…8.
    @inline(__always)
    static func powerOfTen(_ exponent: Int) -> UInt64 {
        switch exponent {
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        default: 100_000_000
        }
    }

    /// "0.0," and "0.0]" as little-endian 32-bit words.
    static let zeroComma = UInt32(littleEndian: 0x2C30_2E30), zeroBracket = UInt32(littleEndian: 0x5D30_2E30)

    static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    // MARK: bytes

    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    static func invalid(_ message: String) -> ServingError { ServingError(.invalidRequest, message) }
}
