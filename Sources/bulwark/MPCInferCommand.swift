import ArgumentParser
import BulwarkAssessment
import BulwarkCrypto
import BulwarkData
import BulwarkFederated
import BulwarkModels
import BulwarkTensor
import Foundation

/// `bulwark mpc infer`: secure inference on one machine — throwaway certificates and three
/// `bulwark mpc party` processes over loopback TLS.
struct MPCInferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Securely infer a zoo mlp/cnn on images with three `mpc party` processes over loopback TLS, and report cost and agreement.",
        discussion: """
        Makes a throwaway CA and party certificates, then starts the model owner (id 0, given \
        only --model), the client (id 1, given only the images) and the trusted dealer (id 2) as \
        separate processes talking TLS 1.3 on 127.0.0.1. Prints the labels the client learnt, \
        the time per image, the rounds and the bytes each party sent, and — the model being on \
        this machine — how often the secure labels agree with plaintext inference (and the \
        accuracy, with --dataset). Only the client process sees the logits; --out copies them.

        Examples:
          bulwark mpc infer --model mlp.safetensors --input x.npy --out logits.npy
          bulwark mpc infer --model cnn.safetensors --dataset fashion-mnist --count 1000 --batch 50
        """
    )

    @Option(help: "The zoo mlp or cnn (.safetensors written by bulwark train).")
    var model: String

    @Option(help: "Images (.npy/.npz, N×1×28×28 or N×784, values in [0, 1]).")
    var input: String?

    @Option(help: "A built-in dataset's test split instead of --input: fashion-mnist.")
    var dataset: DatasetChoice?

    @Option(parsing: .unconditional, help: "With --dataset: the first N test images.")
    var count: Int = 100

    @Option(help: "Where to write the client's output (.npy): logits, or labels with --reveal labels.")
    var out: String?

    @Option(parsing: .unconditional, help: "Images per batch.")
    var batch: Int = 100

    @Option(help: "What the client learns: logits or labels.")
    var reveal: MPCInferenceReveal = .logits

    @Option(name: .customLong("timeout"), parsing: .unconditional, help: "Seconds a party waits for a peer before it aborts.")
    var timeoutSeconds: Double = 60

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    /// What `--json` prints.
    struct Result: Codable {
        var model: String
        var images: Int
        var batchSize: Int
        var reveal: String
        var labels: [Int]
        var millisecondsPerImage: Double
        var roundsPerBatch: Int
        var parties: [SecureInference.PartyReport]
        var agreementWithPlaintext: Int
        var correct: Int?
    }

    func validate() throws {
        guard (input == nil) != (dataset == nil) else { throw ValidationError("give the images: --input X.npy or --dataset fashion-mnist") }
        try Bounds.check(count, in: 1...10_000, "--count")
        try Bounds.check(batch, in: 1...SecureInference.maximumBatchSize, "--batch")
        try Bounds.check(timeoutSeconds, in: 0.1...86_400, "--timeout")
        if let out, !out.hasSuffix(".npy") { throw ValidationError("--out must name a .npy file") }
    }

    func run() async throws {
        if let out { try refuseOverwrite(out, inputs: [model, input], role: "--out") }
        let loaded = try ModelFile.load(path: model)
        guard loaded.architecture == .mlp || loaded.architecture == .cnn else {
            throw CLIError("\(model): secure inference runs the zoo mlp and cnn, not \(loaded.architecture.rawValue)")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-mpc-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let pki = work.appendingPathComponent("pki").path
        do { _ = try MPCCertificates.write(to: pki, parties: 3, hosts: ["localhost", "127.0.0.1"], validDays: 1) } catch {
            throw CLIError(error.message)
        }
        // The client's images: its own file (a copy of the test images with --dataset).
        let x: Tensor, truth: [Int]?, inputPath: String
        if let input {
            x = try ArrayFiles.inputs(path: input, exampleShape: ZooArchitecture.defaultExampleShape)
            try ArrayFiles.checkRange(x, 0...1, path: input)
            (truth, inputPath) = (nil, input)
        } else {
            let test = try FashionMNIST.load(.test, limit: count)
            inputPath = work.appendingPathComponent("images.npy").path
            try NPY.write(NDArray(test.inputs), path: inputPath)
            (x, truth) = (test.inputs, test.labels)
        }
        let plain = Prediction(loaded.model, inputs: x).classes
        let ports = try (0..<3).map { _ in try Self.freePort() }
        let peers = ports.map { "127.0.0.1:\($0)" }.joined(separator: ",")
        let clientOut = work.appendingPathComponent("output.npy").path
        func common(_ id: Int) -> [String] {
            ["mpc", "party", "--id", "\(id)", "--peers", peers, "--cert", "\(pki)/party-\(id).pem", "--key", "\(pki)/party-\(id)-key.pem",
             "--ca", "\(pki)/ca.pem", "--timeout", "\(timeoutSeconds)", "--connect-timeout", "\(max(timeoutSeconds, 30))", "--json"]
        }
        let runs = try [
            PartyProcess(arguments: common(0) + ["--model", model, "--reveal", reveal.rawValue]),
            PartyProcess(arguments: common(1) + ["--input", inputPath, "--out", clientOut, "--batch", "\(batch)"]),
            PartyProcess(arguments: common(2)),
        ]
        try await PartyProcess.waitAll(runs, graceSeconds: timeoutSeconds + 10)
        let roles = ["owner", "client", "dealer"]
        if let failed = runs.indices.filter({ runs[$0].status != 0 }).min(by: { runs[$0].exitedAt < runs[$1].exitedAt }) {
            let line = runs[failed].stderrText.split(separator: "\n").last.map(String.init) ?? "exit status \(runs[failed].status)"
            throw CLIError("party \(failed) (\(roles[failed])) failed: \(line.hasPrefix("Error: ") ? String(line.dropFirst(7)) : line)")
        }
        let decoder = JSONDecoder()
        let results = try runs.enumerated().map { index, run in
            do { return try decoder.decode(MPCPartyCommand.Result.self, from: run.stdout) } catch {
                throw CLIError("party \(index) (\(roles[index])) printed no report")
            }
        }
        let labels = results[1].labels ?? []
        guard labels.count == x.shape[0] else { throw CLIError("the client returned \(labels.count) labels for \(x.shape[0]) images") }
        if let out {
            do { try FileManager.default.copyItem(atPath: clientOut, toPath: out) } catch { throw CLIError("\(out): cannot write the output") }
        }
        let agree = zip(labels, plain).filter { $0 == $1 }.count
        let correct = truth.map { zip(labels, $0).filter { $0 == $1 }.count }
        let client = results[1].report
        let result = Result(model: model, images: labels.count, batchSize: client.batchSize, reveal: reveal.rawValue, labels: labels,
                            millisecondsPerImage: 1000 * client.seconds / Double(labels.count),
                            roundsPerBatch: (client.online.rounds - 1) / max(client.batches, 1), parties: results.map(\.report),
                            agreementWithPlaintext: agree, correct: correct)
        if json {
            try printJSON(result)
            return
        }
        print("labels: " + labels.prefix(20).map(String.init).joined(separator: " ") + (labels.count > 20 ? " … (\(labels.count))" : ""))
        print("secure \(loaded.architecture.rawValue), \(labels.count) images, batch \(client.batchSize), 3 processes over loopback TLS 1.3, client learns \(reveal.rawValue)")
        print(String(format: "time per image: %.2f ms (%.2f s in all, dealing included)", result.millisecondsPerImage, client.seconds))
        print("rounds: \(result.roundsPerBatch) per batch (+1 to agree seeds); \(client.batches) batches")
        for report in results.map(\.report) {
            if report.role == "dealer" {
                print("  dealer: sent \(MPCPartyCommand.megabytes(report.preprocessing.bytesSent)) of triples (\(String(format: "%.3f", Double(report.preprocessing.bytesSent) / Double(labels.count) / 1e6)) MB/image), \(report.dealer?.requests ?? 0) requests")
            } else {
                print("  \(report.role): sent \(MPCPartyCommand.megabytes(report.online.bytesSent)) online (\(String(format: "%.3f", Double(report.online.bytesSent) / Double(labels.count) / 1e6)) MB/image) + \(MPCPartyCommand.megabytes(report.preprocessing.bytesSent)) of requests to the dealer")
            }
        }
        print("agreement with plaintext argmax: \(agree)/\(labels.count)")
        if let correct { print("secure accuracy on the test labels: \(correct)/\(labels.count)") }
        if let out { Terminal.note("wrote \(out)") }
    }

    /// A TCP port on 127.0.0.1 that is free now (the kernel's pick).
    static func freePort() throws -> Int {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw CLIError("cannot open a socket to find a free port") }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) } }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) } }
        guard bound == 0, named == 0 else { throw CLIError("cannot find a free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A `bulwark mpc party` child process with its output drained as it runs.
final class PartyProcess: @unchecked Sendable {  // the output buffers are written by one reader each and read after exit
    let process = Process()
    private let outPipe = Pipe(), errPipe = Pipe()
    private var outData = Data(), errData = Data()
    private let drained = DispatchGroup()
    /// When the process was seen to have exited.
    private(set) var exitedAt = Date.distantFuture

    init(arguments: [String]) throws {
        process.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = arguments
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw CLIError("cannot start a party process: \(error.localizedDescription)") }
        drained.enter()
        DispatchQueue.global().async { [self] in outData = outPipe.fileHandleForReading.readDataToEndOfFile(); drained.leave() }
        drained.enter()
        DispatchQueue.global().async { [self] in errData = errPipe.fileHandleForReading.readDataToEndOfFile(); drained.leave() }
    }

    var status: Int32 { process.terminationStatus }
    var stdout: Data { outData }
    var stderrText: String { String(decoding: errData, as: UTF8.self) }

    /// Waits until every process has exited; once one has failed, the others get
    /// `graceSeconds` to notice and are then terminated.
    static func waitAll(_ runs: [PartyProcess], graceSeconds: Double) async throws {
        var firstFailure: Date?
        while runs.contains(where: { $0.process.isRunning }) {
            for run in runs where !run.process.isRunning && run.exitedAt == .distantFuture {
                run.exitedAt = Date()
                if run.status != 0, firstFailure == nil { firstFailure = Date() }
            }
            if let firstFailure, Date().timeIntervalSince(firstFailure) > graceSeconds {
                for run in runs where run.process.isRunning { run.process.terminate() }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        for run in runs {
            run.process.waitUntilExit()
            if run.exitedAt == .distantFuture { run.exitedAt = Date() }
            run.drained.wait()
        }
    }
}
