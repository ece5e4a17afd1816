/// A symbolic emulator of the Python pickle machine (protocols 0–5).
///
/// It executes every opcode against symbolic values — never importing or calling anything —
/// and records each callable the real unpickler would import (`GLOBAL`, `STACK_GLOBAL`,
/// `INST`, extension codes) and each call it would make (`REDUCE`, `NEWOBJ`, `NEWOBJ_EX`,
/// `OBJ`, `INST`, `BUILD`), with the byte offset of the opcode. Names built through the memo
/// for `STACK_GLOBAL` are followed. Concatenated pickles are analysed one after another and
/// byte strings that are themselves pickles are analysed recursively (depth ≤ 3).
///
/// joblib streams are followed: after the `BUILD` of a `joblib.numpy_pickle.NumpyArrayWrapper`
/// the array's raw bytes (sized from the wrapper's shape and dtype, see `JoblibArrayLayout`) are
/// skipped exactly as joblib's loader reads them, and an object-dtype array's embedded pickle is
/// analysed. Because a plain `pickle.load` of the same file would execute those bytes as opcodes,
/// they are also analysed as a pickle from their first byte (imports only, `plain-load:` prefix).
///
/// Cost: O(n) in the pickle size; stack, memo and recorded imports are bounded.
struct PickleAnalyzer {
    /// A callable the pickle imports or calls.
    struct Callable: Sendable, Equatable {
        var module: String
        var name: String
        /// Byte offset of the opcode (relative to the analysed buffer).
        var offset: Int
        /// Opcode mnemonic (GLOBAL, STACK_GLOBAL, INST, EXT1…).
        var opcode: String
    }
    /// What analysis found.
    struct Result: Sendable, Equatable {
        var imports: [Callable] = []
        /// Structural problems (truncation, unknown opcode, stack underflow…), one line each.
        var problems: [String] = []
        /// Number of pickles seen (concatenated or nested).
        var pickleCount = 0
        /// Byte offset where analysis stopped.
        var endOffset = 0
        /// Storages named by persistent ids `('storage', torch.<Type>Storage, key, location, numel, …)`
        /// (legacy `torch.save` checkpoints), by key; at most `maxStorages`.
        var storages: [String: Storage] = [:]
        /// The strings of the last pickle's result when it is a list of strings (the storage keys
        /// of a legacy checkpoint), else nil.
        var resultStrings: [String]?
    }
    /// A storage a legacy checkpoint's main pickle refers to.
    struct Storage: Sendable, Equatable {
        /// `FloatStorage`, `LongStorage`, …
        var typeName: String
        /// Number of elements.
        var count: Int
    }

    indirect enum Value {
        case str(String)
        case bytes(Range<Int>)
        case scalar
        case int(Int)
        case none
        /// A dict with its first `maxDictPairs` items (keys and values as pushed).
        case dict([Pair])
        /// A `numpy.dtype(descr, …)` result, with its pickled flags once `BUILD` set them.
        case dtype(String, flags: Int?)
        case global(String, String)
        case called(String, String)
        /// A list whose items are all strings (at most `maxListStrings` kept).
        case strings([String])
        case tuple([Value])
        case container
        case mark
        case unknown
    }
    struct Pair { var key: Value; var value: Value }

    static let maxStack = 1_000_000
    static let maxMemo = 1_000_000
    static let maxImports = 10_000
    static let maxDepth = 3
    static let maxDictPairs = 64
    static let maxListStrings = 1 << 20
    static let maxStorages = 1 << 20

    /// Analyses `bytes` from `start`: every concatenated pickle, or exactly `pickles` of them
    /// when given (a legacy `torch.save` file is five pickles followed by raw storage bytes).
    static func analyze(_ bytes: [UInt8], start: Int = 0, depth: Int = 0, pickles: Int? = nil) -> Result {
        var result = Result()
        var pos = start
        while pos < bytes.count {
            if let pickles, result.pickleCount >= pickles { break }
            let (endPos, ok) = runOne(bytes, from: pos, depth: depth, joblib: true, into: &result)
            result.pickleCount += 1
            pos = endPos
            result.endOffset = endPos
            if !ok { break }
            if pickles != nil { continue }
            // Concatenated pickle: continue while the next byte plausibly starts one.
            guard pos < bytes.count, bytes[pos] == 0x80 || bytes[pos] == UInt8(ascii: "(") || bytes[pos] == UInt8(ascii: "c") else { break }
        }
        return result
    }

    private static func readLine(_ b: [UInt8], _ p: inout Int) -> String? {
        var i = p
        while i < b.count && b[i] != 0x0a { i += 1 }
        guard i < b.count else { return nil }
        let s = String(decoding: b[p..<i], as: UTF8.self)
        p = i + 1
        return s
    }
    private static func readUInt(_ b: [UInt8], _ p: inout Int, _ n: Int) -> UInt64? {
        guard n <= b.count - p else { return nil }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(b[p + i]) << (8 * UInt64(i)) }
        p += n
        return v
    }

    /// Runs one pickle up to STOP; returns the offset after it and whether it ended cleanly.
    /// `joblib`: follow joblib's in-stream numpy arrays (false inside the plain pickles that
    /// joblib itself loads with `pickle.load`).
    private static func runOne(_ b: [UInt8], from start: Int, depth: Int, joblib: Bool, into result: inout Result) -> (Int, Bool) {
        var stack: [Value] = []
        var marks: [Int] = []
        var memo: [UInt64: Value] = [:]
        /// Memo keys holding a dtype whose flags BUILD has not set yet, by descriptor.
        var dtypeMemoKeys: [String: [UInt64]] = [:]
        var p = start
        func problem(_ s: String) { if result.problems.count < 100 { result.problems.append(s) } }
        func record(_ m: String, _ n: String, _ off: Int, _ op: String) {
            if result.imports.count < maxImports { result.imports.append(Callable(module: m, name: n, offset: off, opcode: op)) }
        }
        func pop() -> Value? { stack.popLast() }
        func popMark() -> [Value]? {
            guard let m = marks.popLast(), m <= stack.count else { return nil }
            let items = Array(stack[m...])
            stack.removeSubrange(m...)
            return items
        }
        func push(_ v: Value) -> Bool {
            guard stack.count < maxStack else { return false }
            stack.append(v)
            return true
        }
        func callee(_ v: Value) -> (String, String) {
            switch v {
            case .global(let m, let n): return (m, n)
            case .called(let m, let n): return (m, "\(n)()")
            default: return ("?", "<computed callable>")
            }
        }
        func nested(_ r: Range<Int>) {
            guard depth < maxDepth, r.count >= 2, b[r.lowerBound] == 0x80, b[r.lowerBound + 1] <= 5 else { return }
            let inner = analyze(Array(b[r]), depth: depth + 1)
            for c in inner.imports { record(c.module, c.name, r.lowerBound + c.offset, "nested:" + c.opcode) }
            result.pickleCount += inner.pickleCount
        }
        func lenBytes(_ n: Int, string: Bool) -> Bool {
            guard let len = readUInt(b, &p, n), len <= UInt64(b.count - p) else { return false }
            let r = p..<(p + Int(len))
            p += Int(len)
            if string { return push(.str(String(decoding: b[r], as: UTF8.self))) }
            nested(r)
            return push(.bytes(r))
        }
        /// SETITEM(S)/DICT: items go into the dict on top of the stack (first `maxDictPairs` kept).
        func addPairs(_ items: [Value]) -> Bool {
            guard !stack.isEmpty, items.count % 2 == 0 else { return false }
            guard case .dict(var pairs) = stack[stack.count - 1] else { return true }
            var i = 0
            while i + 1 < items.count && pairs.count < maxDictPairs {
                pairs.append(Pair(key: items[i], value: items[i + 1]))
                i += 2
            }
            stack[stack.count - 1] = .dict(pairs)
            return true
        }
        func noteDtypeMemo(_ v: Value, _ key: UInt64) {
            if case .dtype(let d, nil) = v, (dtypeMemoKeys[d]?.count ?? 0) < 1024 { dtypeMemoKeys[d, default: []].append(key) }
        }
        /// Whether `m.n` is `functools.partial` (or its C twin).
        func isPartial(_ m: String, _ n: String) -> Bool { (m == "functools" || m == "_functools") && n == "partial" }
        /// Records the callable a partial wraps: an import by name, or a computed callable.
        func wrapped(_ v: Value?, _ off: Int, _ what: String) {
            switch v {
            case .global(let m, let n)?: record(m, n, off, what)
            case .called(let m, let n)?: record(m, n + "()", off, what)
            default: record("?", "<computed callable>", off, what)
            }
        }
        /// LIST/APPEND(S): strings are kept while the list holds only strings.
        func appendItems(_ items: [Value]) {
            guard case .strings(var kept) = stack[stack.count - 1] else { return }
            for item in items {
                guard case .str(let s) = item, kept.count < maxListStrings else { stack[stack.count - 1] = .container; return }
                kept.append(s)
            }
            stack[stack.count - 1] = .strings(kept)
        }
        /// A legacy checkpoint's storage persistent id: `('storage', torch.XStorage, key, location, numel, …)`.
        func noteStorage(_ pid: Value) {
            guard case .tuple(let t) = pid, t.count >= 5, case .str("storage") = t[0], case .global(_, let type) = t[1],
                  case .str(let key) = t[2], case .int(let count) = t[4], result.storages.count < maxStorages else { return }
            result.storages[key] = Storage(typeName: type, count: count)
        }
        /// After a NumpyArrayWrapper's BUILD: moves `p` past the array joblib reads from the stream.
        func skipJoblibArray(state: Value, buildOffset: Int) -> Bool {
            guard case .dict(let pairs) = state else { problem("NumpyArrayWrapper BUILD at offset \(buildOffset) without a dict state"); return false }
            var shape: [Int]?, descr: String?, flags: Int?, aligned = false
            for pair in pairs {
                guard case .str(let key) = pair.key else { continue }
                switch (key, pair.value) {
                case ("shape", .tuple(let dims)):
                    var s: [Int] = []
                    for d in dims { if case .int(let v) = d { s.append(v) } else { s = []; break } }
                    if s.count == dims.count { shape = s }
                case ("dtype", .dtype(let d, let f)): descr = d; flags = f
                case ("numpy_array_alignment_bytes", .int): aligned = true
                default: break
                }
            }
            guard let shape, let descr else {
                problem("NumpyArrayWrapper at offset \(buildOffset): shape or dtype not recoverable"); return false
            }
            let layout: JoblibArrayLayout
            do { layout = try JoblibArrayLayout.layout(shape: shape, descr: descr, flags: flags, aligned: aligned) } catch {
                problem("NumpyArrayWrapper at offset \(buildOffset): \(error.message)"); return false
            }
            let arrayStart = p
            if layout.aligned {
                guard p < b.count else { problem("joblib array padding runs past the end at offset \(p)"); return false }
                let pad = Int(b[p])
                guard pad <= b.count - p - 1 else { problem("joblib array padding runs past the end at offset \(p)"); return false }
                p += 1 + pad
            }
            switch layout.payload {
            case .raw(let count):
                guard count <= b.count - p else {
                    problem("joblib array at offset \(p) declares \(count) bytes but only \(b.count - p) remain"); return false
                }
                p += count
                plainLoadView(arrayStart..<p)
            case .pickle:
                guard depth < maxDepth else { problem("joblib object array at offset \(p) nested too deep"); return false }
                let (end, clean) = runOne(b, from: p, depth: depth + 1, joblib: false, into: &result)
                result.pickleCount += 1
                guard clean else { return false }
                p = end
            }
            return true
        }
        /// What a plain `pickle.load` would see in bytes joblib treats as array data: imports only.
        func plainLoadView(_ r: Range<Int>) {
            guard depth < maxDepth, !r.isEmpty, isOpcodeStart(b[r.lowerBound]) else { return }
            var view = Result()
            _ = runOne(Array(b[r]), from: 0, depth: maxDepth, joblib: false, into: &view)
            for c in view.imports { record(c.module, c.name, r.lowerBound + c.offset, "plain-load:" + c.opcode) }
        }
        while p < b.count {
            let off = p
            let op = b[p]
            p += 1
            var ok = true
            switch op {
            case 0x28: marks.append(stack.count)                    // MARK
            case 0x2e:                                              // STOP
                if case .strings(let items)? = stack.last { result.resultStrings = items } else { result.resultStrings = nil }
                return (p, true)
            case 0x30: ok = pop() != nil                            // POP
            case 0x31: ok = popMark() != nil                        // POP_MARK
            case 0x32: if let t = stack.last { ok = push(t) } else { ok = false } // DUP
            case 0x46, 0x49, 0x4c:                                  // FLOAT INT LONG
                guard let l = readLine(b, &p) else { ok = false; break }
                let digits = l.hasSuffix("L") ? String(l.dropLast()) : l
                if op != 0x46, l.count < 19, let v = Int(digits), !(op == 0x49 && (l == "00" || l == "01")) { ok = push(.int(v)) } else { ok = push(.scalar) }
            case 0x4a: ok = readUInt(b, &p, 4).map { push(.int(Int(Int32(truncatingIfNeeded: $0)))) } ?? false
            case 0x4b: ok = readUInt(b, &p, 1).map { push(.int(Int($0))) } ?? false
            case 0x4d: ok = readUInt(b, &p, 2).map { push(.int(Int($0))) } ?? false
            case 0x47: ok = readUInt(b, &p, 8) != nil && push(.scalar)
            case 0x4e: ok = push(.none)                             // NONE
            case 0x88, 0x89: ok = push(.scalar)                     // TRUE FALSE
            case 0x50: ok = readLine(b, &p) != nil && push(.unknown) // PERSID
            case 0x51:                                              // BINPERSID
                guard let pid = pop() else { ok = false; break }
                noteStorage(pid)
                // Legacy torch.save writes module classes as ('module', cls, file, source);
                // torch.load's persistent_load returns `cls` (imported, and classified, on its own).
                if case .tuple(let t) = pid, t.count >= 2, case .str("module") = t[0], case .global(let m, let n) = t[1] {
                    ok = push(.global(m, n))
                } else {
                    ok = push(.unknown)
                }
            case 0x52:                                              // REDUCE
                guard let args = pop(), let f = pop() else { ok = false; break }
                let (m, n) = callee(f)
                record(m, n, off, "REDUCE")
                if m == "numpy", n == "dtype", case .tuple(let a) = args, case .str(let descr)? = a.first {
                    ok = push(.dtype(descr, flags: nil))
                } else if case .global = f, isPartial(m, n) {
                    // functools.partial(f, …): the wrapped callable is what will run; classify it.
                    if case .tuple(let a) = args { wrapped(a.first, off, "REDUCE functools.partial of") }
                    ok = push(.called(m, n))
                } else if case .global = f, m == "copy_reg" || m == "copyreg", n == "_reconstructor",
                          case .tuple(let a) = args, case .global(let cm, let cn)? = a.first {
                    // Protocol 0/1 object construction: `_reconstructor(cls, object, None)` builds a `cls`.
                    ok = push(.called(cm, cn))
                } else {
                    ok = push(.called(m, n))
                }
            case 0x53, 0x56:                                        // STRING UNICODE
                if let s = readLine(b, &p) {
                    var t = s
                    if op == 0x53, t.count >= 2, let f = t.first, f == "'" || f == "\"" { t = String(t.dropFirst().dropLast()) }
                    ok = push(.str(t))
                } else { ok = false }
            case 0x54: ok = lenBytes(4, string: true)               // BINSTRING
            case 0x55: ok = lenBytes(1, string: true)               // SHORT_BINSTRING
            case 0x58: ok = lenBytes(4, string: true)               // BINUNICODE
            case 0x8c: ok = lenBytes(1, string: true)               // SHORT_BINUNICODE
            case 0x8d: ok = lenBytes(8, string: true)               // BINUNICODE8
            case 0x42: ok = lenBytes(4, string: false)              // BINBYTES
            case 0x43: ok = lenBytes(1, string: false)              // SHORT_BINBYTES
            case 0x8e, 0x96: ok = lenBytes(8, string: false)        // BINBYTES8 BYTEARRAY8
            case 0x8a:                                              // LONG1
                guard let n = readUInt(b, &p, 1), n <= UInt64(b.count - p) else { ok = false; break }
                let r = p..<(p + Int(n))
                p += Int(n)
                ok = push(r.count <= 7 ? .int(littleEndianSigned(b[r])) : .scalar)
            case 0x8b: ok = lenBytes(4, string: false) && pop() != nil && push(.scalar) // LONG4
            case 0x61:                                              // APPEND
                guard let v = pop(), !stack.isEmpty else { ok = false; break }
                appendItems([v])
            case 0x62:                                              // BUILD
                guard let state = pop(), let obj = stack.last else { ok = false; break }
                if case .called(let m, let n) = obj {
                    record(m, n + ".__setstate__", off, "BUILD")
                    // partial.__setstate__((func, args, kwds, dict)) replaces the wrapped callable.
                    if isPartial(m, n), case .tuple(let t) = state { wrapped(t.first, off, "BUILD functools.partial of") }
                }
                else if case .global(let m, let n) = obj { record(m, n + ".__setstate__", off, "BUILD") }
                else if case .dtype(let d, _) = obj {
                    record("numpy", "dtype.__setstate__", off, "BUILD")
                    if case .tuple(let t) = state, t.count > 7, case .int(let fl) = t[7] {
                        stack[stack.count - 1] = .dtype(d, flags: fl)
                        // The memo holds the dtype as it was before BUILD: update those copies.
                        for key in dtypeMemoKeys[d] ?? [] { if case .dtype(d, nil)? = memo[key] { memo[key] = .dtype(d, flags: fl) } }
                    }
                }
                if joblib, case .called("joblib.numpy_pickle", "NumpyArrayWrapper") = obj {
                    guard skipJoblibArray(state: state, buildOffset: off) else { return (p, false) }
                    stack[stack.count - 1] = .container
                }
            case 0x63, 0x69:                                        // GLOBAL INST
                guard let m = readLine(b, &p), let n = readLine(b, &p) else { ok = false; break }
                record(m, n, off, op == 0x63 ? "GLOBAL" : "INST")
                if op == 0x69 { ok = popMark() != nil && push(.called(m, n)) } else { ok = push(.global(m, n)) }
            case 0x64:                                              // DICT
                guard let items = popMark() else { ok = false; break }
                ok = push(.dict([]))
                ok = ok && addPairs(items)
            case 0x6c, 0x74, 0x91:                                  // LIST TUPLE FROZENSET
                guard let items = popMark() else { ok = false; break }
                if op == 0x74 { ok = push(.tuple(Array(items.prefix(64)))) }
                else if op == 0x6c { ok = push(.strings([])); appendItems(items) }
                else { ok = push(.container) }
            case 0x7d: ok = push(.dict([]))                         // EMPTY_DICT
            case 0x5d: ok = push(.strings([]))                      // EMPTY_LIST
            case 0x8f: ok = push(.container)                        // EMPTY_SET
            case 0x29: ok = push(.tuple([]))                        // EMPTY_TUPLE
            case 0x75:                                              // SETITEMS
                guard let items = popMark() else { ok = false; break }
                ok = addPairs(items)
            case 0x65, 0x90:                                        // APPENDS ADDITEMS
                guard let items = popMark(), !stack.isEmpty else { ok = false; break }
                if op == 0x65 { appendItems(items) }
            case 0x73:                                              // SETITEM
                guard let v = pop(), let k = pop() else { ok = false; break }
                ok = addPairs([k, v])
            case 0x67:                                              // GET
                guard let l = readLine(b, &p), let k = UInt64(l.trimmingPrefixSpaces()) else { ok = false; break }
                ok = push(memo[k] ?? .unknown)
                if memo[k] == nil { problem("GET of unset memo key \(k) at offset \(off)") }
            case 0x68, 0x6a:                                        // BINGET LONG_BINGET
                guard let k = readUInt(b, &p, op == 0x68 ? 1 : 4) else { ok = false; break }
                if memo[k] == nil { problem("GET of unset memo key \(k) at offset \(off)") }
                ok = push(memo[k] ?? .unknown)
            case 0x70:                                              // PUT
                guard let l = readLine(b, &p), let k = UInt64(l.trimmingPrefixSpaces()), let t = stack.last, memo.count < maxMemo else { ok = false; break }
                memo[k] = t
                noteDtypeMemo(t, k)
            case 0x71, 0x72:                                        // BINPUT LONG_BINPUT
                guard let k = readUInt(b, &p, op == 0x71 ? 1 : 4), let t = stack.last, memo.count < maxMemo else { ok = false; break }
                memo[k] = t
                noteDtypeMemo(t, k)
            case 0x94:                                              // MEMOIZE
                guard let t = stack.last, memo.count < maxMemo else { ok = false; break }
                noteDtypeMemo(t, UInt64(memo.count))
                memo[UInt64(memo.count)] = t
            case 0x6f:                                              // OBJ
                guard let items = popMark(), let f = items.first else { ok = false; break }
                let (m, n) = callee(f)
                record(m, n, off, "OBJ")
                ok = push(.called(m, n))
            case 0x80: ok = readUInt(b, &p, 1).map { $0 <= 5 } ?? false // PROTO
            case 0x81:                                              // NEWOBJ
                guard let _ = pop(), let c = pop() else { ok = false; break }
                let (m, n) = callee(c)
                record(m, n + ".__new__", off, "NEWOBJ")
                ok = push(.called(m, n))
            case 0x92:                                              // NEWOBJ_EX
                guard let _ = pop(), let _ = pop(), let c = pop() else { ok = false; break }
                let (m, n) = callee(c)
                record(m, n + ".__new__", off, "NEWOBJ_EX")
                ok = push(.called(m, n))
            case 0x82, 0x83, 0x84:                                  // EXT1 EXT2 EXT4
                guard let code = readUInt(b, &p, op == 0x82 ? 1 : op == 0x83 ? 2 : 4) else { ok = false; break }
                record("copyreg.extension", String(code), off, "EXT")
                ok = push(.global("copyreg.extension", String(code)))
            case 0x85, 0x86, 0x87:                                  // TUPLE1/2/3
                let n = Int(op - 0x84)
                guard stack.count >= n else { ok = false; break }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                ok = push(.tuple(items))
            case 0x93:                                              // STACK_GLOBAL
                guard let nv = pop(), let mv = pop() else { ok = false; break }
                if case .str(let m) = mv, case .str(let n) = nv {
                    record(m, n, off, "STACK_GLOBAL")
                    ok = push(.global(m, n))
                } else {
                    record("?", "<computed name>", off, "STACK_GLOBAL")
                    ok = push(.global("?", "<computed name>"))
                }
            case 0x95: ok = readUInt(b, &p, 8) != nil               // FRAME
            case 0x97: ok = push(.unknown)                          // NEXT_BUFFER
            case 0x98: ok = !stack.isEmpty                          // READONLY_BUFFER
            default:
                problem("unknown opcode 0x\(String(op, radix: 16)) at offset \(off)")
                return (off, false)
            }
            if !ok {
                problem("opcode 0x\(String(op, radix: 16)) at offset \(off) is malformed (truncated, stack underflow or limit)")
                return (p, false)
            }
        }
        problem("pickle ends without STOP at offset \(p)")
        return (p, false)
    }
}

/// Whether `byte` is a pickle opcode (so a plain unpickler would start executing there).
private func isOpcodeStart(_ byte: UInt8) -> Bool {
    (0x28...0x7d).contains(byte) || (0x80...0x98).contains(byte)
}

/// A little-endian two's-complement integer of at most 7 bytes (LONG1's payload).
private func littleEndianSigned(_ bytes: ArraySlice<UInt8>) -> Int {
    guard !bytes.isEmpty else { return 0 }
    var v = 0
    for (i, x) in bytes.enumerated() { v |= Int(x) << (8 * i) }
    if let last = bytes.last, last & 0x80 != 0 { v -= 1 << (8 * bytes.count) }
    return v
}

extension String {
    fileprivate func trimmingPrefixSpaces() -> Substring { self.drop { $0 == " " } }
}
