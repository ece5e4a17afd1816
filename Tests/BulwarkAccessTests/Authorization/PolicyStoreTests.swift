import BulwarkAccess
import Foundation
import Testing

private func policyText(grant: String) -> String {
    "version: 1\nroles:\n  reader: [\(grant)]\n"
}

private func write(_ text: String, to url: URL) throws {
    try Data(text.utf8).write(to: url, options: .atomic)
}

private let reader = Principal(id: "r", roles: ["reader"])
private let model = Resource(type: "model", id: "cats")

@Test func policyStoreReloadsChangesAndKeepsTheOldPolicyOnABadOne() throws {
    let directory = try AuthorizationFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("policy.yaml")
    try write(policyText(grant: "model.read"), to: file)
    let store = try PolicyStore(path: file.path)
    let context = AuthorizationFixtures.context()
    #expect(store.evaluate(principal: reader, action: .modelRead, resource: model, context: context).allowed)
    #expect(store.reloadIfChanged() == .unchanged)

    // A good change replaces the policy.
    try write(policyText(grant: "model.list"), to: file)
    let outcome = store.reload()
    #expect(outcome == .reloaded(digest: store.policy.digest))
    #expect(!store.evaluate(principal: reader, action: .modelRead, resource: model, context: context).allowed)
    #expect(store.evaluate(principal: reader, action: .modelList, resource: model, context: context).allowed)
    let goodDigest = store.policy.digest

    // A bad change is reported once and the previous policy stays in force: not allow-all, not empty.
    try write(policyText(grant: "model.lst") + "\n# padding so the size differs\n", to: file)
    guard case let .failed(error) = store.reloadIfChanged() else {
        Issue.record("a malformed policy was not reported")
        return
    }
    #expect(error.code == .malformed && error.message.contains("model.lst"))
    #expect(store.lastError == error)
    #expect(store.policy.digest == goodDigest)
    #expect(store.evaluate(principal: reader, action: .modelList, resource: model, context: context).allowed)
    #expect(!store.evaluate(principal: reader, action: .auditRead, resource: model, context: context).allowed)
    #expect(store.reloadIfChanged() == .unchanged)
    #expect(store.lastError == error)

    // A deleted file is an I/O failure; the policy stays.
    try FileManager.default.removeItem(at: file)
    guard case let .failed(missing) = store.reloadIfChanged() else {
        Issue.record("a deleted policy was not reported")
        return
    }
    #expect(missing.code == .io)
    #expect(store.policy.digest == goodDigest)

    // Restoring the good content clears the error without a reload.
    try write(policyText(grant: "model.list"), to: file)
    #expect(store.reload() == .unchanged)
    #expect(store.lastError == nil)
}

@Test func policyStoreRefusesABadFirstLoadAndNonRegularFiles() throws {
    let directory = try AuthorizationFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("policy.yaml")
    try write("version: 1\nroles:\n  reader: [model.nope]\n", to: file)
    #expect(throws: AccessError.self) { try PolicyStore(path: file.path) }
    do {
        _ = try PolicyStore(path: directory.path)
        Issue.record("a directory was accepted as a policy")
    } catch {
        #expect(error.code == .io && error.message.contains("not a regular file"))
    }
    #expect(throws: AccessError.self) { try PolicyStore(path: directory.appendingPathComponent("missing.yaml").path) }
}

@Test func policyStoreWatchPicksUpAChange() async throws {
    let directory = try AuthorizationFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("policy.yaml")
    try write(policyText(grant: "model.read"), to: file)
    let store = try PolicyStore(path: file.path)
    let watcher = Task { await store.watch(every: .milliseconds(20)) }
    defer { watcher.cancel() }
    try write(policyText(grant: "audit.read, model.read"), to: file)
    var waited = 0
    while !store.evaluate(principal: reader, action: .auditRead, resource: model, context: AuthorizationFixtures.context()).allowed, waited < 250 {
        try await Task.sleep(for: .milliseconds(20))
        waited += 1
    }
    #expect(store.evaluate(principal: reader, action: .auditRead, resource: model, context: AuthorizationFixtures.context()).allowed)
}
