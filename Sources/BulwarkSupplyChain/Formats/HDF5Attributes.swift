/// A bounded reader of the root group's attributes of an HDF5 file — enough to find what
/// h5py writes for a Keras model (`model_config`, `keras_version`, `backend`) without libhdf5.
///
/// Supported: superblock versions 0–3 (at offset 0 or a user-block offset 512, 1024, … ≤ 64 KiB),
/// object headers version 1 and 2 ("OHDR", with "OCHK" continuation blocks), compact attribute
/// messages versions 1–3, string values fixed-length (class 3) and variable-length (class 9,
/// read from "GCOL" global heap collections), scalar or one-element dataspaces. Dense attribute
/// storage (fractal heaps) is reported as not supported rather than guessed.
///
/// Hostile input never traps or hangs: every offset is checked against the file size, reads are
/// capped (`maxRead`), continuation blocks are followed at most `maxBlocks` times and never
/// twice, message counts are bounded. Problems throw `FormatError` naming the structure.
///
/// ```swift
/// let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "model.h5")))
/// let attrs = try HDF5Attributes(size: bytes.count) { off, n in Array(bytes[off..<off + n]) }
/// if let config = attrs.strings["model_config"] { print(config) }
/// ```
struct HDF5Attributes {
    /// Superblock version (0–3).
    var superblockVersion = 0
    /// Root-group attributes whose value is a string (or a list of strings, joined with "\n").
    var strings: [String: String] = [:]
    /// Names of root-group attributes of other types.
    var otherAttributes: [String] = []
    /// Whether the root group keeps (more) attributes in dense storage, which is not read.
    var hasDenseAttributes = false

    static let maxRead = 64 << 20
    static let maxBlocks = 64
    static let maxMessages = 4096

    private let size: Int
    private let readBytes: (Int, Int) -> [UInt8]?
    private var offsetSize = 8
    private var lengthSize = 8
    private var base = 0

    /// Reads the root group's attributes of a file of `size` bytes through `read(offset, count)`,
    /// which returns nil when the bytes cannot be read.
    init(size: Int, read: @escaping (Int, Int) -> [UInt8]?) throws(FormatError) {
        self.size = size
        self.readBytes = read
        var start: Int?
        var candidate = 0
        while candidate <= min(size - 8, 65536) {
            if let sig = read(candidate, 8), sig == [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a] { start = candidate; break }
            candidate = candidate == 0 ? 512 : candidate * 2
        }
        guard let start else { throw FormatError("HDF5: no superblock signature") }
        let sb = try bytes(start, min(256, size - start))
        guard sb.count >= 12 else { throw FormatError("HDF5: superblock truncated") }
        superblockVersion = Int(sb[8])
        let rootHeader: Int
        switch superblockVersion {
        case 0, 1:
            guard sb.count >= 24 else { throw FormatError("HDF5: superblock truncated") }
            offsetSize = Int(sb[13]); lengthSize = Int(sb[14])
            try checkSizes()
            var p = superblockVersion == 0 ? 24 : 28
            base = try Self.uint(sb, &p, offsetSize)
            p += 3 * offsetSize                                   // free space, EOF, driver info
            p += offsetSize                                       // root entry: link name offset
            rootHeader = try Self.uint(sb, &p, offsetSize)
        case 2, 3:
            offsetSize = Int(sb[9]); lengthSize = Int(sb[10])
            try checkSizes()
            var p = 12
            base = try Self.uint(sb, &p, offsetSize)
            p += 2 * offsetSize                                   // extension, EOF
            rootHeader = try Self.uint(sb, &p, offsetSize)
        default:
            throw FormatError("HDF5: superblock version \(superblockVersion) is not 0–3")
        }
        if base == 0 && start > 0 { base = start }
        try readObjectHeader(at: rootHeader)
    }

    private func checkSizes() throws(FormatError) {
        guard [2, 4, 8].contains(offsetSize), [2, 4, 8].contains(lengthSize) else {
            throw FormatError("HDF5: offset/length sizes \(offsetSize)/\(lengthSize) are not 2, 4 or 8")
        }
    }

    private func bytes(_ offset: Int, _ count: Int) throws(FormatError) -> [UInt8] {
        guard offset >= 0, count >= 0, count <= Self.maxRead, offset <= size, count <= size - offset else {
            throw FormatError("HDF5: \(count) bytes at offset \(offset) lie outside the \(size)-byte file")
        }
        guard let b = readBytes(offset, count), b.count == count else { throw FormatError("HDF5: cannot read \(count) bytes at offset \(offset)") }
        return b
    }

    /// A file address (relative to the base address) as an absolute offset, checked.
    private func address(_ relative: Int) throws(FormatError) -> Int {
        let (a, o) = base.addingReportingOverflow(relative)
        guard !o, a >= 0, a < size else { throw FormatError("HDF5: address \(relative) lies outside the file") }
        return a
    }

    static func uint(_ b: [UInt8], _ p: inout Int, _ n: Int) throws(FormatError) -> Int {
        guard p >= 0, n <= b.count - p else { throw FormatError("HDF5: field runs past its structure") }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(b[p + i]) << (8 * UInt64(i)) }
        p += n
        guard v <= UInt64(Int.max) else { throw FormatError("HDF5: value \(v) too large") }
        return Int(v)
    }

    // MARK: object headers

    private mutating func readObjectHeader(at relative: Int) throws(FormatError) {
        let at = try address(relative)
        let prefix = try bytes(at, min(32, size - at))
        // Each block: the message bytes (v2 checksums excluded).
        var blocks: [(start: Int, end: Int, v2: Bool)] = []
        var creationOrder = false
        if prefix.starts(with: Array("OHDR".utf8)) {
            guard prefix.count >= 7, prefix[4] == 2 else { throw FormatError("HDF5: object header version is not 2") }
            let flags = prefix[5]
            creationOrder = flags & 0x04 != 0
            var p = 6
            if flags & 0x20 != 0 { p += 16 }
            if flags & 0x10 != 0 { p += 4 }
            let chunkSize = try Self.uint(prefix, &p, 1 << Int(flags & 3))
            blocks.append((at + p, at + p + chunkSize, true))
        } else {
            guard prefix.count >= 16, prefix[0] == 1 else { throw FormatError("HDF5: object header version \(prefix.first ?? 0) is not 1 or 2") }
            var p = 8
            let headerSize = try Self.uint(prefix, &p, 4)
            blocks.append((at + 16, at + 16 + headerSize, false))
        }
        var visited = Set<Int>()
        var messages = 0
        var i = 0
        while i < blocks.count {
            let block = blocks[i]
            i += 1
            guard visited.insert(block.start).inserted else { throw FormatError("HDF5: object header continuation loops") }
            guard visited.count <= Self.maxBlocks else { throw FormatError("HDF5: more than \(Self.maxBlocks) object header blocks") }
            guard block.end >= block.start else { throw FormatError("HDF5: negative object header block") }
            let data = try bytes(block.start, block.end - block.start)
            // A gap smaller than a message header may end a v2 block.
            let limit = data.count
            var p = 0
            while p + (block.v2 ? 4 : 8) <= limit {
                messages += 1
                guard messages <= Self.maxMessages else { throw FormatError("HDF5: more than \(Self.maxMessages) header messages") }
                let type: Int, length: Int
                if block.v2 {
                    type = Int(data[p]); length = Int(data[p + 1]) | Int(data[p + 2]) << 8
                    p += 4 + (creationOrder ? 2 : 0)
                } else {
                    type = Int(data[p]) | Int(data[p + 1]) << 8; length = Int(data[p + 2]) | Int(data[p + 3]) << 8
                    p += 8
                }
                guard length <= limit - p else { throw FormatError("HDF5: header message type \(type) runs past its block") }
                let body = Array(data[p..<(p + length)])
                p += length
                switch type {
                case 0x10:                                            // continuation
                    var q = 0
                    let off = try Self.uint(body, &q, offsetSize), len = try Self.uint(body, &q, lengthSize)
                    let start = try address(off)
                    guard len <= size - start else { throw FormatError("HDF5: continuation block runs past the file") }
                    if block.v2 {
                        guard len >= 8, try bytes(start, 4) == Array("OCHK".utf8) else { throw FormatError("HDF5: continuation block without OCHK signature") }
                        blocks.append((start + 4, start + len - 4, true))
                    } else {
                        blocks.append((start, start + len, false))
                    }
                case 0x0C: try readAttribute(body)
                case 0x15: hasDenseAttributes = hasDenseAttributes || Self.hasDenseStorage(body, offsetSize: offsetSize)
                default: break
                }
            }
        }
    }

    /// Attribute Info message: dense storage when the fractal heap address is defined.
    private static func hasDenseStorage(_ body: [UInt8], offsetSize: Int) -> Bool {
        guard body.count >= 2 else { return false }
        var p = 2 + (body[1] & 1 != 0 ? 2 : 0)
        guard p + offsetSize <= body.count else { return false }
        let heap = body[p..<(p + offsetSize)]
        p += offsetSize
        return !heap.allSatisfy { $0 == 0xff }
    }

    // MARK: attributes

    private mutating func readAttribute(_ b: [UInt8]) throws(FormatError) {
        guard b.count >= 8 else { throw FormatError("HDF5: attribute message truncated") }
        let version = b[0]
        guard (1...3).contains(version) else { throw FormatError("HDF5: attribute message version \(version)") }
        var p = 2
        let nameSize = try Self.uint(b, &p, 2), typeSize = try Self.uint(b, &p, 2), spaceSize = try Self.uint(b, &p, 2)
        if version == 3 { p += 1 }
        func padded(_ n: Int) -> Int { version == 1 ? (n + 7) / 8 * 8 : n }
        guard padded(nameSize) <= b.count - p else { throw FormatError("HDF5: attribute name runs past the message") }
        let name = String(decoding: b[p..<(p + nameSize)].prefix { $0 != 0 }, as: UTF8.self)
        p += padded(nameSize)
        guard padded(typeSize) <= b.count - p, typeSize >= 8 else { throw FormatError("HDF5: attribute '\(name)' datatype runs past the message") }
        let type = Array(b[p..<(p + typeSize)])
        p += padded(typeSize)
        guard padded(spaceSize) <= b.count - p else { throw FormatError("HDF5: attribute '\(name)' dataspace runs past the message") }
        let count = try Self.elementCount(Array(b[p..<(p + spaceSize)]), lengthSize: lengthSize)
        p += padded(spaceSize)
        let data = Array(b[p...])
        switch type[0] & 0x0f {
        case 3:                                                  // fixed-length string
            var q = 4
            let width = try Self.uint(type, &q, 4)
            guard width > 0, count <= data.count / width else { throw FormatError("HDF5: attribute '\(name)' data shorter than its strings") }
            let items = (0..<count).map { i in String(decoding: data[(i * width)..<((i + 1) * width)].prefix { $0 != 0 }, as: UTF8.self) }
            strings[name] = items.joined(separator: "\n")
        case 9 where type[1] & 0x0f == 1:                        // variable-length string
            let item = 4 + offsetSize + 4
            guard count <= data.count / item else { throw FormatError("HDF5: attribute '\(name)' data shorter than its heap references") }
            var items: [String] = []
            for i in 0..<min(count, 4096) {
                var q = i * item
                let length = try Self.uint(data, &q, 4), collection = try Self.uint(data, &q, offsetSize), index = try Self.uint(data, &q, 4)
                items.append(try globalHeapObject(collection: collection, index: index, length: length))
            }
            strings[name] = items.joined(separator: "\n")
        default:
            otherAttributes.append(name)
        }
    }

    /// Number of elements of a dataspace message (scalar: 1, null: 0), bounded.
    static func elementCount(_ b: [UInt8], lengthSize: Int) throws(FormatError) -> Int {
        guard b.count >= 4 else { throw FormatError("HDF5: dataspace truncated") }
        let version = b[0], rank = Int(b[1])
        guard rank <= 32 else { throw FormatError("HDF5: dataspace rank \(rank)") }
        if version == 2 && b[3] == 2 { return 0 }
        var p = version == 1 ? 8 : 4
        var count = 1
        for _ in 0..<rank {
            let d = try uint(b, &p, lengthSize)
            let (m, o) = count.multipliedReportingOverflow(by: d)
            guard !o, m <= 1 << 24 else { throw FormatError("HDF5: attribute with more than 2^24 elements") }
            count = m
        }
        return count
    }

    /// The bytes of object `index` of the global heap collection at `collection`, as text.
    private func globalHeapObject(collection: Int, index: Int, length: Int) throws(FormatError) -> String {
        let at = try address(collection)
        let head = try bytes(at, min(8 + lengthSize, size - at))
        guard head.starts(with: Array("GCOL".utf8)), head.count == 8 + lengthSize else { throw FormatError("HDF5: global heap collection without GCOL signature") }
        var p = 8
        let collectionSize = try Self.uint(head, &p, lengthSize)
        guard collectionSize >= 8 + lengthSize else { throw FormatError("HDF5: global heap collection size \(collectionSize)") }
        let heap = try bytes(at, collectionSize)
        var q = 8 + lengthSize
        var objects = 0
        while q + 8 + lengthSize <= heap.count && objects < 1 << 20 {
            objects += 1
            var r = q
            let id = try Self.uint(heap, &r, 2)
            r += 6
            let objectSize = try Self.uint(heap, &r, lengthSize)
            if id == 0 { break }                                  // free space to the end
            guard objectSize <= heap.count - r else { throw FormatError("HDF5: global heap object \(id) runs past its collection") }
            if id == index {
                guard length <= objectSize else { throw FormatError("HDF5: string longer than its heap object") }
                return String(decoding: heap[r..<(r + length)], as: UTF8.self)
            }
            q = r + (objectSize + 7) / 8 * 8
        }
        throw FormatError("HDF5: global heap object \(index) not found")
    }
}
