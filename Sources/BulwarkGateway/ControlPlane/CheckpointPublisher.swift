import AsyncHTTPClient
public import BulwarkAccess
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Where ``CheckpointPublisher`` sends the audit log's signed checkpoints.
public struct WitnessOptions: Sendable {
    /// `--witness-file`: a file that only moves forward (``CheckpointWitness/accept(_:proof:at:origin:verifier:)``).
    public var file: String?
    /// `--witness-url`: witnesses speaking c2sp.org/tlog-witness; each is a submission prefix,
    /// the checkpoint goes to `<prefix>/add-checkpoint`.
    public var urls: [String]
    /// `--witness-key`: witness cosigner keys (vkeys, type 0x04). When given, a witness's answer
    /// counts only if it carries a valid cosignature by one of them.
    public var keys: [CosignatureVerifier]
    /// How often the tree head is checked and, when it grew, published.
    public var interval: Duration

    /// Options with the given targets; see the properties.
    public init(file: String? = nil, urls: [String] = [], keys: [CosignatureVerifier] = [], interval: Duration = .seconds(60)) {
        self.file = file
        self.urls = urls
        self.keys = keys
        self.interval = interval
    }

    /// Whether any target is set.
    public var isEmpty: Bool { file == nil && urls.isEmpty }
}

/// What one publication did for one target.
public enum WitnessOutcome: Sendable, Equatable {
    /// The tree has not grown since the last publication: nothing was sent.
    case unchanged(size: UInt64)
    /// The witness file now holds the checkpoint of `size` entries.
    case fileAdvanced(path: String, size: UInt64)
    /// The witness at `url` cosigned the checkpoint of `size` entries; `cosigners` are the
    /// configured keys whose cosignatures verified (empty when no key is configured).
    case cosigned(url: String, size: UInt64, cosigners: [String])
    /// The target refused the checkpoint or could not be reached; `message` is one line.
    case failed(target: String, message: String)
}

/// Publishes the control plane's audit checkpoints to witnesses: a witness file and HTTP
/// witnesses speaking the C2SP tlog-witness protocol (`add-checkpoint` with the old size and
/// an RFC 6962 consistency proof; a `409` answer names the size the witness holds, and the
/// checkpoint is sent again with a proof from that size).
///
/// A witness that holds a checkpoint our log cannot extend (`422`, or a `409` naming a larger
/// size than ours after a refresh) is reported as failed, never skipped: that is what a
/// rewritten log looks like from outside. Several server nodes may publish the same log; the
/// witness keeps the largest consistent tree.
///
/// ```swift
/// let plane = try await ControlPlane.open(ControlPlaneOptions(
///     database: "/var/lib/bulwark/bulwark.db", policyFile: "/etc/bulwark/policy.yaml",
///     auditKeyFile: "/etc/bulwark/audit.key", auditOrigin: "bulwark.example/audit"))
/// let publisher = CheckpointPublisher(plane: plane, options: WitnessOptions(urls: ["https://witness.example"]))
/// let outcomes = await publisher.publishOnce()
/// await publisher.shutdown()
/// ```
public actor CheckpointPublisher {
    private let plane: ControlPlane
    private let options: WitnessOptions
    private let client: HTTPClient
    private let logger = Logger(label: "bulwark.witness")
    /// The size each witness URL last cosigned, as far as this process knows.
    private var witnessed: [String: UInt64] = [:]
    private var lastPublished: UInt64?

    /// A publisher of `plane`'s audit log to the targets of `options`.
    public init(plane: ControlPlane, options: WitnessOptions) {
        self.plane = plane
        self.options = options
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Publishes every `interval` until the task is cancelled, logging each failure.
    public func run() async {
        while !Task.isCancelled {
            for outcome in await publishOnce() {
                switch outcome {
                case .failed(let target, let message):
                    logger.error("checkpoint not witnessed", metadata: ["target": "\(target)", "reason": "\(message)"])
                case .unchanged: break
                default: logger.info("checkpoint witnessed", metadata: ["outcome": "\(outcome)"])
                }
            }
            try? await Task.sleep(for: options.interval)
        }
    }

    /// Signs the current tree head and sends it to every target, unless the tree has not grown
    /// since the last call that reached every target.
    public func publishOnce() async -> [WitnessOutcome] {
        let note: SignedNote
        let head: Checkpoint
        do {
            try await plane.audit.refresh()
            head = await plane.audit.treeHead
            note = try await plane.audit.checkpoint()
        } catch {
            return [.failed(target: "audit log", message: error.message)]
        }
        if lastPublished == head.size { return [.unchanged(size: head.size)] }
        var outcomes: [WitnessOutcome] = []
        if let file = options.file { outcomes.append(await publish(note, head: head, toFile: file)) }
        for url in options.urls { outcomes.append(await publish(note, head: head, toURL: url)) }
        let failed = outcomes.contains { if case .failed = $0 { true } else { false } }
        if !failed { lastPublished = head.size }
        return outcomes
    }

    /// Shuts the HTTP client down; call once, after the last publication.
    public func shutdown() async {
        try? await client.shutdown()
    }

    private func publish(_ note: SignedNote, head: Checkpoint, toFile path: String) async -> WitnessOutcome {
        do {
            var proof: [MerkleHash] = []
            if FileManager.default.fileExists(atPath: path) {
                let older = try CheckpointWitness.read(from: path, origin: head.origin, verifier: plane.auditVerifier)
                guard older.size <= head.size else {
                    return .failed(target: path, message: "the witness file holds size \(older.size), larger than the log's \(head.size)")
                }
                proof = try await plane.audit.consistencyProof(from: older.size, to: head.size)
            }
            let accepted = try CheckpointWitness.accept(note.serialized, proof: proof, at: path, origin: head.origin, verifier: plane.auditVerifier)
            return .fileAdvanced(path: path, size: accepted.size)
        } catch {
            return .failed(target: path, message: error.message)
        }
    }

    private func publish(_ note: SignedNote, head: Checkpoint, toURL prefix: String) async -> WitnessOutcome {
        let endpoint = (prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix) + "/add-checkpoint"
        var old = witnessed[prefix] ?? 0
        // At most one retry: a 409 tells the size the witness holds.
        for _ in 0..<2 {
            guard old <= head.size else {
                return .failed(target: prefix, message: "the witness holds size \(old), larger than the log's \(head.size)")
            }
            let proof: [MerkleHash]
            do {
                proof = old == 0 || old == head.size ? [] : try await plane.audit.consistencyProof(from: old, to: head.size)
            } catch {
                return .failed(target: prefix, message: error.message)
            }
            var body = "old \(old)\n"
            for hash in proof { body += hash.base64 + "\n" }
            body += "\n" + note.serialized
            var request = HTTPClientRequest(url: endpoint)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            request.body = .bytes(ByteBuffer(string: body))
            let status: Int
            let answer: String
            do {
                let response = try await client.execute(request, timeout: .seconds(30))
                status = Int(response.status.code)
                answer = String(buffer: try await response.body.collect(upTo: 64 * 1024))
            } catch {
                return .failed(target: prefix, message: "cannot reach \(endpoint): \(String(describing: error).oneLine(limit: 200))")
            }
            switch status {
            case 200:
                witnessed[prefix] = head.size
                return cosigned(answer, head: head, url: prefix)
            case 409:
                let text = answer.trimmingCharacters(in: .whitespacesAndNewlines)
                guard let held = UInt64(text), held != old else {
                    return .failed(target: prefix, message: "the witness refused size \(head.size) as conflicting with what it holds (409)")
                }
                old = held
                witnessed[prefix] = held
            case 422:
                return .failed(target: prefix, message: "the witness refused the consistency proof from size \(old) to \(head.size) (422): the log does not extend what it witnessed")
            default:
                return .failed(target: prefix, message: "the witness answered \(status): \(answer.oneLine(limit: 120))")
            }
        }
        return .failed(target: prefix, message: "the witness keeps answering 409 (another node is publishing a different size); retrying next interval")
    }

    /// Checks the cosignature lines of a 200 answer against the configured witness keys.
    private func cosigned(_ answer: String, head: Checkpoint, url: String) -> WitnessOutcome {
        guard !options.keys.isEmpty else { return .cosigned(url: url, size: head.size, cosigners: []) }
        guard let lines = try? SignedNote.parse(head.body + "\n" + answer) else {
            return .failed(target: url, message: "the witness's answer is not a list of note signature lines")
        }
        var cosigners: [String] = []
        for signature in lines.signatures {
            for key in options.keys where key.names(signature) {
                do {
                    _ = try key.verify(signature, checkpointBody: head.body)
                    cosigners.append(key.name)
                } catch {
                    return .failed(target: url, message: error.message)
                }
            }
        }
        guard !cosigners.isEmpty else {
            return .failed(target: url, message: "the witness's answer has no cosignature by a configured --witness-key")
        }
        return .cosigned(url: url, size: head.size, cosigners: cosigners)
    }
}
