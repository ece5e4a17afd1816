import BulwarkAccess
import BulwarkGateway
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import Synchronization
import Testing

/// A witness following c2sp.org/tlog-witness for one log: it keeps the latest cosigned size and
/// root, refuses a wrong old size with 409 and `text/x.tlog.size`, a proof that does not verify
/// with 422, and answers a cosignature line otherwise.
final class TestWitness: Sendable {
    let cosigner: CosignatureSigner
    let logVerifier: NoteVerifier
    let origin: String
    let state = Mutex<(size: UInt64, root: MerkleHash)>((0, .emptyTree))
    let requests = Mutex(0)

    init(origin: String, logVerifier: NoteVerifier) throws {
        cosigner = try CosignatureSigner.generate(name: "witness.test/w1")
        self.logVerifier = logVerifier
        self.origin = origin
    }

    func answer(_ body: String) -> (HTTPResponse.Status, String) {
        requests.withLock { $0 += 1 }
        guard let blank = body.range(of: "\n\n") else { return (.badRequest, "no blank line\n") }
        let head = body[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = head.first, first.hasPrefix("old "), let old = UInt64(first.dropFirst(4)) else { return (.badRequest, "old line\n") }
        let proof = head.dropFirst().compactMap { Data(base64Encoded: String($0)).flatMap { MerkleHash(bytes: $0) } }
        guard proof.count == head.count - 1 else { return (.badRequest, "proof line\n") }
        guard let checkpoint = try? Checkpoint.open(String(body[blank.upperBound...]), origin: origin, verifier: logVerifier) else {
            return (.forbidden, "checkpoint\n")
        }
        return state.withLock { state -> (HTTPResponse.Status, String) in
            guard old <= checkpoint.size else { return (.badRequest, "old size above checkpoint size\n") }
            guard old == state.size else { return (.conflict, "\(state.size)\n") }
            if old == checkpoint.size {
                guard checkpoint.rootHash == state.root else { return (.conflict, "\(state.size)\n") }
            } else if old == 0 {
                guard proof.isEmpty else { return (.badRequest, "proof from zero\n") }
            } else if !MerkleTree.verifyConsistency(oldSize: old, newSize: checkpoint.size, oldRoot: state.root,
                                                    newRoot: checkpoint.rootHash, proof: proof) {
                return (.unprocessableContent, "inconsistent\n")
            }
            state = (checkpoint.size, checkpoint.rootHash)
            guard let line = try? cosigner.cosign(checkpoint.body, at: Date()).line else { return (.internalServerError, "") }
            return (.ok, line)
        }
    }

    /// Runs the witness on loopback for `body`.
    func serve<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let gateway = try Gateway(configuration: GatewayConfiguration(host: "127.0.0.1", port: 0, insecureHTTP: true))
        gateway.routes.router.post("/add-checkpoint") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let (status, text) = self.answer(String(buffer: bytes))
            var headers = HTTPFields()
            headers[.contentType] = status == .conflict ? "text/x.tlog.size" : "text/plain; charset=utf-8"
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return try await withRunningGateway(gateway) { url, _ in try await body(url) }
    }
}

// The limit bounds a hang only: alone this test takes 0.2 s, but one CI run with two other
// release builds on the machine (load 12 on 2 cores) spent over a minute in it.
@Test(.timeLimit(.minutes(5)))
func checkpointPublisherAdvancesAWitnessFileAndATlogWitness() async throws {
    let fixture = try await ControlPlaneFixture()
    let plane = fixture.plane
    let witness = try TestWitness(origin: controlPlaneOrigin, logVerifier: plane.auditVerifier)
    let file = fixture.directory.appendingPathComponent("witness.checkpoint").path
    @Sendable func append(_ count: Int) async throws {
        for i in 0..<count {
            _ = try await plane.audit.append(AuditEvent(actor: "ana", action: "login", resource: "session", outcome: .succeeded, details: ["i": "\(i)"]))
        }
    }
    do {
        try await exercise(witness: witness, plane: plane, file: file, append: append)
    } catch {
        await fixture.close()
        throw error
    }
    await fixture.close()
}

private func exercise(witness: TestWitness, plane: ControlPlane, file: String, append: @escaping @Sendable (Int) async throws -> Void) async throws {
    try await witness.serve { url in
        try await append(3)
        let options = WitnessOptions(file: file, urls: [url], keys: [witness.cosigner.verifier])
        let publisher = CheckpointPublisher(plane: plane, options: options)
        #expect(await publisher.publishOnce() == [.fileAdvanced(path: file, size: 3), .cosigned(url: url, size: 3, cosigners: ["witness.test/w1"])])
        #expect(await publisher.publishOnce() == [.unchanged(size: 3)])
        try await append(5)
        #expect(await publisher.publishOnce() == [.fileAdvanced(path: file, size: 8), .cosigned(url: url, size: 8, cosigners: ["witness.test/w1"])])
        await publisher.shutdown()
        #expect(try CheckpointWitness.read(from: file, origin: controlPlaneOrigin, verifier: plane.auditVerifier).size == 8)

        // A second node (or a restart) knows nothing: the witness's 409 names its size and the
        // checkpoint goes again with a consistency proof from there.
        try await append(2)
        let restarted = CheckpointPublisher(plane: plane, options: WitnessOptions(urls: [url]))
        let before = witness.requests.withLock { $0 }
        #expect(await restarted.publishOnce() == [.cosigned(url: url, size: 10, cosigners: [])])
        #expect(witness.requests.withLock { $0 } - before == 2)

        // A cosignature by a key we do not trust does not count.
        try await append(1)
        let stranger = try CosignatureSigner.generate(name: "witness.test/w1").verifier
        let strict = CheckpointPublisher(plane: plane, options: WitnessOptions(urls: [url], keys: [stranger]))
        let strictOutcome = try #require(await strict.publishOnce().first)
        guard case .failed(_, let message) = strictOutcome else {
            Issue.record("an answer without a trusted cosignature was accepted")
            return
        }
        #expect(message.contains("--witness-key"), "\(message)")

        // A witness that holds a tree our log does not extend refuses the proof: reported, never skipped.
        witness.state.withLock { $0 = (5, MerkleHash(bytes: [UInt8](repeating: 7, count: 32)) ?? .emptyTree) }
        try await append(1)
        let outcomes = await restarted.publishOnce()
        guard case .failed(_, let refusal) = try #require(outcomes.first) else {
            Issue.record("a rewritten log was witnessed: \(outcomes)")
            return
        }
        #expect(refusal.contains("422"), "\(refusal)")
        await restarted.shutdown()
        await strict.shutdown()
    }
}

@Test func cosignatureKeysRoundTripAndRefuseTampering() throws {
    let signer = try CosignatureSigner.generate(name: "witness.test/w2")
    let parsed = try CosignatureVerifier(verifierKey: signer.verifier.verifierKey)
    #expect(parsed == signer.verifier)
    let body = Checkpoint(origin: "bulwark.test/audit", size: 7, rootHash: .emptyTree).body
    let time = Date(timeIntervalSince1970: 1_796_000_000)
    let line = try signer.cosign(body, at: time)
    #expect(try parsed.verify(line, checkpointBody: body) == time)
    // the time is signed: change it and the signature fails
    var shifted = line
    shifted.signature[7] ^= 1
    #expect((#expect(throws: AccessError.self) { try parsed.verify(shifted, checkpointBody: body) })?.code == .tampered)
    let other = Checkpoint(origin: "bulwark.test/audit", size: 8, rootHash: .emptyTree).body
    #expect((#expect(throws: AccessError.self) { try parsed.verify(line, checkpointBody: other) })?.code == .tampered)
    // a note (type 0x01) key is not a cosigner (type 0x04) key
    let noteKey = try NoteSigner.generate(name: "witness.test/w2").verifier.verifierKey
    #expect((#expect(throws: AccessError.self) { try CosignatureVerifier(verifierKey: noteKey) })?.code == .malformed)
}
