import ArgumentParser
import BulwarkCrypto
import BulwarkData
import BulwarkFederated
import BulwarkModels
import BulwarkTensor
import Foundation

/// `bulwark mpc party`: one party of a secure inference, in its own process.
struct MPCPartyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "party",
        abstract: "Run one party of a secure inference over mutually authenticated TLS: model owner, client or dealer.",
        discussion: """
        The role is the id: 0 is the model owner (--model: a zoo mlp or cnn; only it reads the \
        weights), 1 the client (--input images, --out the result; only it reads the images and \
        learns the output), 2 the trusted dealer (Beaver triples). Each party gets only its own \
        secret, its own certificate and key (common name party-<id>, see `bulwark mpc certs`) \
        and the CA certificate. Lower ids listen on their --peers address for higher ids, which \
        connect (retrying until --connect-timeout).

        Trust model: with a dealer, owner and client learn nothing about each other's secret \
        (semi-honest); the dealer learns neither secret but sees every triple, so it must not \
        collude with either party (CrypTen's trusted-third-party mode). The owner chooses \
        --reveal logits (the client learns the logits) or labels (only the argmax).

        A party that disappears or stays silent longer than --timeout makes the others stop with \
        one line naming it and exit status 2.

        Example (three shells):
          bulwark mpc party --id 0 --peers 127.0.0.1:9000,127.0.0.1:9001,127.0.0.1:9002 \\
            --cert pki/party-0.pem --key pki/party-0-key.pem --ca pki/ca.pem --model mlp.safetensors
          bulwark mpc party --id 1 --peers 127.0.0.1:9000,127.0.0.1:9001,127.0.0.1:9002 \\
            --cert pki/party-1.pem --key pki/party-1-key.pem --ca pki/ca.pem --input x.npy --out logits.npy
          bulwark mpc party --id 2 --peers 127.0.0.1:9000,127.0.0.1:9001,127.0.0.1:9002 \\
            --cert pki/party-2.pem --key pki/party-2-key.pem --ca pki/ca.pem
        """
    )

    @Option(parsing: .unconditional, help: "This party's id: 0 model owner, 1 client, 2 dealer.")
    var id: Int

    @OptionGroup var network: MPCNetworkOptions

    @Option(help: "Owner (id 0): the zoo mlp or cnn (.safetensors written by bulwark train).")
    var model: String?

    @Option(help: "Owner (id 0): what the client learns, logits or labels.")
    var reveal: MPCInferenceReveal = .logits

    @Option(help: "Client (id 1): the images (.npy/.npz, N×1×28×28 or N×784, values in [0, 1]; uint8 ÷255).")
    var input: String?

    @Option(help: "Client (id 1): where to write the output (.npy): N×10 float32 logits, or N int64 labels when the owner reveals only labels.")
    var out: String?

    @Option(parsing: .unconditional, help: "Client (id 1): images per batch (rounds are per batch).")
    var batch: Int = 100

    @Flag(help: "Print one JSON object (this party's report; the client adds the labels) on stdout.")
    var json = false

    /// What `--json` prints.
    struct Result: Codable {
        var report: SecureInference.PartyReport
        var labels: [Int]?
    }

    func validate() throws {
        try Bounds.check(id, in: 0...2, "--id")
        try Bounds.check(batch, in: 1...SecureInference.maximumBatchSize, "--batch")
        switch id {
        case 0:
            guard model != nil else { throw ValidationError("the model owner (--id 0) needs --model") }
            guard input == nil, out == nil else { throw ValidationError("--input and --out belong to the client (--id 1)") }
        case 1:
            guard let input, let out else { throw ValidationError("the client (--id 1) needs --input X.npy and --out Y.npy") }
            guard model == nil else { throw ValidationError("--model belongs to the model owner (--id 0)") }
            guard out.hasSuffix(".npy") else { throw ValidationError("--out must name a .npy file") }
            _ = input
        default:
            guard model == nil, input == nil, out == nil else { throw ValidationError("the dealer (--id 2) takes no --model, --input or --out") }
        }
    }

    func run() async throws {
        // Read this party's secret before joining, so a bad file fails before any peer waits.
        var owned: SecureZooModel?
        var images: Tensor?
        switch id {
        case 0:
            guard let model else { throw ValidationError("the model owner (--id 0) needs --model") }
            let loaded = try ModelFile.load(path: model)
            do { owned = try SecureZooModel(owning: loaded.model, architecture: loaded.architecture) } catch {
                throw CLIError("\(model): \(error.message)")
            }
        case 1:
            guard let input, let out else { throw ValidationError("the client (--id 1) needs --input and --out") }
            try refuseOverwrite(out, inputs: [input], role: "--out")
            let x = try ArrayFiles.inputs(path: input, exampleShape: ZooArchitecture.defaultExampleShape)
            try ArrayFiles.checkRange(x, 0...1, path: input)
            images = x
        default:
            break
        }
        let channel = try await network.connect(as: id)
        defer { channel.close() }
        let report: SecureInference.PartyReport
        var labels: [Int]?
        do {
            switch id {
            case 0:
                guard let owned else { throw CryptoError(.invalidParameter, "no model") }
                report = try await SecureInference.serve(owned, channel: channel, reveal: reveal)
            case 1:
                guard let images, let out else { throw CryptoError(.invalidParameter, "no input") }
                let n = images.shape[0]
                let (output, clientReport) = try await SecureInference.query(images: images.scalars, count: n, batchSize: batch, channel: channel)
                report = clientReport
                labels = output.labels
                do {
                    if let logits = output.logits {
                        try NPY.write(try NDArray(shape: [n, SecureZooModel.classCount], storage: .float32(logits.map(Float.init))), path: out)
                    } else {
                        try NPY.write(NDArray(labels: output.labels), path: out)
                    }
                } catch { throw CLIError("\(out): \(error.message)") }
            default:
                report = try await SecureInference.deal(channel: channel)
            }
        } catch let error as CryptoError {
            throw CLIError("party \(id): \(error.message)")
        }
        if json {
            try printJSON(Result(report: report, labels: labels))
            return
        }
        if let labels {
            print("labels: " + labels.prefix(50).map(String.init).joined(separator: " ") + (labels.count > 50 ? " … (\(labels.count))" : ""))
            Terminal.note("wrote \(out ?? "")")
        }
        print(Self.summary(report))
    }

    /// One line: what the party did, its time and traffic.
    static func summary(_ report: SecureInference.PartyReport) -> String {
        if report.role == "dealer" {
            return "dealer: \(report.dealer?.requests ?? 0) requests served in \(String(format: "%.2f", report.seconds)) s; "
                + "sent \(megabytes(report.preprocessing.bytesSent)) of triples"
        }
        let perImage = report.images > 0 ? 1000 * report.seconds / Double(report.images) : 0
        return "\(report.role): \(report.architecture) \(report.images) images in \(report.batches) batches, "
            + "\(String(format: "%.2f", report.seconds)) s (\(String(format: "%.2f", perImage)) ms/image); online \(report.online.rounds) rounds, "
            + "sent \(megabytes(report.online.bytesSent)), received \(megabytes(report.online.bytesReceived)); "
            + "dealer traffic \(megabytes(report.preprocessing.bytesSent + report.preprocessing.bytesReceived))"
    }

    /// Bytes in MB (kB below 100 kB).
    static func megabytes(_ bytes: Int) -> String {
        bytes < 100_000 ? String(format: "%.1f kB", Double(bytes) / 1e3) : String(format: "%.2f MB", Double(bytes) / 1e6)
    }
}
