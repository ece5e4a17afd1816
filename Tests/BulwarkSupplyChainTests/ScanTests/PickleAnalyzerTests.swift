import Testing
@testable import BulwarkSupplyChain

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Test func protocol0GlobalAndReduceAreReportedWithOffsets() {
    let p = bytes("cos\nsystem\n(S'echo x'\ntR.")
    let r = PickleAnalyzer.analyze(p)
    #expect(r.imports.map(\.opcode) == ["GLOBAL", "REDUCE"])
    #expect(r.imports.first?.module == "os" && r.imports.first?.name == "system")
    #expect(r.imports.first?.offset == 0)
    #expect(r.problems.isEmpty)
}

@Test func stackGlobalFollowsNamesThroughTheMemo() {
    // PROTO 4, "os" MEMOIZE, "system" MEMOIZE, BINGET 0, BINGET 1, STACK_GLOBAL, STOP
    let p: [UInt8] = [0x80, 4, 0x8c, 2] + bytes("os") + [0x94, 0x8c, 6] + bytes("system") + [0x94, 0x68, 0, 0x68, 1, 0x93, 0x2e]
    let r = PickleAnalyzer.analyze(p)
    #expect(r.imports.count == 1)
    #expect(r.imports.first?.module == "os")
    #expect(r.imports.first?.name == "system")
    #expect(r.imports.first?.offset == 20)  // 2 + 4 + 1 + 8 + 1 + 2 + 2
}

@Test func concatenatedPicklesAreAllAnalysed() {
    let p: [UInt8] = [0x80, 2, 0x7d, 0x2e] + bytes("cposix\nsystem\n.")
    let r = PickleAnalyzer.analyze(p)
    #expect(r.pickleCount == 2)
    #expect(r.imports.map(\.module) == ["posix"])
}

@Test func truncatedAndGarbageInputGiveProblemsNotCrashes() {
    for p: [UInt8] in [[0x80], [0x80, 4, 0x95, 1], [0x58, 0xff, 0xff, 0xff, 0xff], [0x93], [0x68, 9, 0x2e], [0xff, 0xfe]] {
        let r = PickleAnalyzer.analyze(p)
        #expect(!r.problems.isEmpty)
    }
}

@Test func policyIsAllowlistFirstAndUnknownIsNeverSafe() throws {
    let policy = ScanPolicy.default
    #expect(policy.classify(module: "torch._utils", name: "_rebuild_tensor_v2").isSafe)
    #expect(policy.classify(module: "collections", name: "OrderedDict").isSafe)
    if case .dangerous = policy.classify(module: "os.path", name: "join") {} else { Issue.record("os submodule not dangerous") }
    if case .dangerous = policy.classify(module: "builtins", name: "eval") {} else { Issue.record("eval not dangerous") }
    #expect(policy.classify(module: "torch", name: "load").isDangerous)
    #expect(policy.classify(module: "mylib.layers", name: "Gate") == .unknown)
    #expect(policy.classify(module: "mylib", name: "Thing") == .unknown)
    var extended = policy
    try extended.merge(text: "safe mylib Thing  # my class\n")
    #expect(extended.classify(module: "mylib", name: "Thing").isSafe)
    #expect(throws: ScanError.self) { try extended.merge(text: "safe mylib *") }
    #expect(throws: ScanError.self) { try extended.merge(text: "maybe a b") }
}
