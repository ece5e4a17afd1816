/// Checks of the TorchScript source a TorchScript archive carries (`<root>/code/**/*.py`),
/// which `torch.jit.load` compiles and runs with the TorchScript interpreter (not Python).
///
/// TorchScript cannot import Python modules, but it can call any operator registered in the
/// loading process: `aten::from_file` reads an arbitrary file into a tensor (high: a file-read
/// primitive), and operators or classes of other namespaces (`torch.ops.<ns>`, `torch.classes.<ns>`)
/// need a native library that is not part of torch (medium: unknown, never clean).
enum TorchScriptCodeCheck {
    /// Operator namespaces that ship with torch itself.
    static let standardNamespaces: Set<String> = ["aten", "prim", "quantized", "_quantized", "_caffe2", "profiler", "cuda", "mkldnn", "mkl", "sparse", "quantized_decomposed", "fbgemm", "_prims", "rngprims", "_c10d_functional", "c10d", "_dtensor"]

    static func findings(_ data: [UInt8], entry: String) -> [ScanFinding] {
        var f: [ScanFinding] = []
        if occurrences(of: Array("from_file".utf8), in: data).first != nil {
            f.append(ScanFinding(severity: .high, rule: "torchscript.file-read", detail: "\(entry): calls from_file, which reads any file the loading process can read", offset: nil,
                                 explanation: "built-in TorchScript check: the archive's code runs in the loading process with access to every registered operator"))
        }
        var custom = Set<String>()
        func isIdentifier(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f }
        for marker in ["ops.", "classes."] {
            // `ops.prim.X`, `torch.ops.aten.X`, `torch.classes.ns.X`: not part of a longer name.
            for end in occurrences(of: Array(marker.utf8), in: data) where custom.count <= 20 {
                let start = end - marker.utf8.count
                guard start == 0 || !isIdentifier(data[start - 1]) else { continue }
                let ns = String(decoding: data[end...].prefix(while: isIdentifier), as: UTF8.self)
                if !ns.isEmpty, !standardNamespaces.contains(ns) { custom.insert(ns) }
            }
        }
        for ns in custom.sorted() {
            f.append(ScanFinding(severity: .medium, rule: "torchscript.custom-operator", detail: "\(entry): uses operators or classes of the '\(ns)' namespace, which need a native library outside torch", offset: nil,
                                 explanation: "built-in TorchScript check: custom operators run native code that the scanner cannot see"))
        }
        return f
    }

    /// Offsets just past each occurrence of `needle` in `haystack` (at most 1000).
    static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
        var ends: [Int] = []
        var i = 0
        while i <= haystack.count - needle.count, ends.count < 1000 {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { ends.append(i + needle.count); i += needle.count } else { i += 1 }
        }
        return ends
    }
}
