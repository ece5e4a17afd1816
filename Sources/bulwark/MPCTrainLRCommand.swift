import ArgumentParser
import BulwarkArchive
import BulwarkCrypto
import BulwarkData
import BulwarkFederated
import BulwarkTensor
import Crypto
import Foundation

/// `bulwark mpc train-lr`: one party of a logistic regression trained on vertically split data.
struct MPCTrainLRCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-lr",
        abstract: "Train a logistic regression on features split between two parties, neither seeing the other's columns.",
        discussion: """
        Vertical split: party 0 and party 1 hold different feature columns of the same records \
        (row i is the same record in both CSV files: join them first), party 0 also the 0/1 \
        labels (--label). Each standardises its own columns, secret-shares them, and the two \
        train on shares with Beaver triples from a trusted dealer (party 2); at the end each \
        learns only the weights of its own columns (party 0 also the bias), written to --out \
        as JSON with its standardisation. Everything else — the other party's columns, the \
        labels, the predictions, the gradients — stays secret-shared (semi-honest model; the \
        dealer must not collude with either party). Training parameters must be the same at \
        both parties; they are checked before any data is shared.

        Example (three shells; certificates from `bulwark mpc certs`):
          bulwark mpc train-lr --id 0 --peers h0:9000,h1:9000,h2:9000 --cert pki/party-0.pem \\
            --key pki/party-0-key.pem --ca pki/ca.pem --data a.csv --label diagnosis --out a-model.json
          bulwark mpc train-lr --id 1 --peers h0:9000,h1:9000,h2:9000 --cert pki/party-1.pem \\
            --key pki/party-1-key.pem --ca pki/ca.pem --data b.csv --out b-model.json
          bulwark mpc train-lr --id 2 --peers h0:9000,h1:9000,h2:9000 --cert pki/party-2.pem \\
            --key pki/party-2-key.pem --ca pki/ca.pem
        """
    )

    @Option(parsing: .unconditional, help: "This party's id: 0 features and labels, 1 features, 2 dealer.")
    var id: Int

    @OptionGroup var network: MPCNetworkOptions

    @Option(help: "Parties 0 and 1: this party's columns, a CSV file with a header row (numeric cells).")
    var data: String?

    @Option(help: "Party 0: the name of the 0/1 label column in --data.")
    var label: String?

    @Option(help: "Parties 0 and 1: where to write this party's weights (.json).")
    var out: String?

    @Option(parsing: .unconditional, help: "Passes over the data.")
    var epochs: Int = 10

    @Option(parsing: .unconditional, help: "Records per mini-batch.")
    var batch: Int = 64

    @Option(name: .customLong("learning-rate"), parsing: .unconditional, help: "The step size.")
    var learningRate: Double = 0.5

    @Option(parsing: .unconditional, help: "The L2 penalty on the weights.")
    var l2: Double = 0

    @Option(parsing: .unconditional, help: "Seed of the (public) batch order.")
    var seed: UInt64 = 1

    @Flag(help: "Print this party's result as JSON on stdout.")
    var json = false

    /// What a feature party learns, written to `--out`.
    struct Result: Codable {
        /// This party's feature columns, in file order.
        var features: [String]
        /// Their weights (on standardised values).
        var weights: [Double]
        /// The bias (party 0 only).
        var bias: Double?
        /// The mean and standard deviation each column was standardised with.
        var standardisation: FeatureStandardisation
        /// Records trained on, and the training parameters.
        var records: Int
        var configuration: VerticalLogisticRegression.Configuration
        /// This party's online cost (rounds, bytes) and dealer traffic.
        var online: MPCCost
        var preprocessing: MPCCost
        var seconds: Double
    }

    func validate() throws {
        try Bounds.check(id, in: 0...2, "--id")
        try Bounds.check(epochs, in: 1...10_000, "--epochs")
        try Bounds.check(batch, in: 1...100_000, "--batch")
        guard learningRate > 0, learningRate.isFinite, l2 >= 0, l2.isFinite else {
            throw ValidationError("--learning-rate must be positive and --l2 non-negative")
        }
        if id == 2 {
            guard data == nil, label == nil, out == nil else { throw ValidationError("the dealer (--id 2) takes no --data, --label or --out") }
        } else {
            guard data != nil, let out else { throw ValidationError("party \(id) needs --data X.csv and --out model.json") }
            guard out.hasSuffix(".json") else { throw ValidationError("--out must name a .json file") }
            guard (label != nil) == (id == 0) else {
                throw ValidationError(id == 0 ? "party 0 holds the labels: give --label COLUMN" : "--label belongs to party 0")
            }
        }
    }

    var trainingConfiguration: VerticalLogisticRegression.Configuration {
        var configuration = VerticalLogisticRegression.Configuration()
        configuration.epochs = epochs
        configuration.batchSize = batch
        configuration.learningRate = learningRate
        configuration.l2 = l2
        configuration.seed = seed
        return configuration
    }

    func run() async throws {
        // Read this party's columns before joining, so a bad file fails before any peer waits.
        var columns: [[Double]] = [], names: [String] = [], labels: [Double]?
        var standardisation: FeatureStandardisation?
        if id < 2, let data, let out {
            try refuseOverwrite(out, inputs: [data], role: "--out")
            (columns, names, labels) = try Self.readColumns(path: data, label: label)
            let tensor = Tensor(shape: [columns.count, names.count], scalars: columns.flatMap { $0.map(Float.init) })
            do {
                let fitted = try FeatureStandardisation.fit(tensor, featureNames: names)
                standardisation = fitted
                columns = columns.map { row in row.indices.map { (row[$0] - fitted.mean[$0]) / fitted.std[$0] } }
            } catch { throw CLIError("\(data): \(error.message)") }
        }
        let channel = try await network.connect(as: id)
        defer { channel.close() }
        let clock = ContinuousClock(), start = clock.now
        do {
            if id == 2 {
                let served = try await MPCDealerService.serve(channel: channel, parties: [0, 1])
                let line = "dealer: \(served.requests) requests, sent \(MPCPartyCommand.megabytes(served.bytesSent)) of triples"
                if json { try printJSON(served) } else { print(line) }
                return
            }
            let pair = try MPCChannelPrefix(channel, parties: 2)
            // Agree on the column counts and the training parameters before sharing anything.
            let digest = Array(SHA256.hash(data: try JSONEncoder.sorted.encode(trainingConfiguration)).prefix(8))
            let header = Self.bytes(UInt64(names.count)) + digest
            try await pair.send(header, to: 1 - id)
            let theirs = try await pair.receive(from: 1 - id)
            guard theirs.count == 16 else { throw BulwarkCrypto.CryptoError(.malformed, "party \(1 - id) sent a header of \(theirs.count) bytes, expected 16") }
            guard Array(theirs[8...]) == digest else {
                throw BulwarkCrypto.CryptoError(.invalidParameter, "party \(1 - id) trains with other parameters (--epochs, --batch, --learning-rate, --l2, --seed must match)")
            }
            let theirCount = theirs[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard (1...1_000_000).contains(theirCount) else { throw BulwarkCrypto.CryptoError(.malformed, "party \(1 - id) declared \(theirCount) columns") }
            var counts = [names.count, names.count]
            counts[1 - id] = Int(theirCount)
            let source = RemoteDealerPreprocessing(channel: channel, dealer: 2)
            var party = try await MPCParty.connect(channel: pair, preprocessing: source)
            let model = try await VerticalLogisticRegression.train(
                party: &party, columns: columns, featureCounts: counts, labels: labels, labelOwner: 0, configuration: trainingConfiguration)
            try await source.finish()
            let elapsed = clock.now - start
            guard let standardisation, let out else { return }
            let result = Result(features: names, weights: model.weights, bias: model.bias, standardisation: standardisation,
                                records: columns.count, configuration: trainingConfiguration, online: party.cost,
                                preprocessing: party.preprocessingCost,
                                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            do { try JSONEncoder.sorted.encode(result).write(to: URL(fileURLWithPath: out)) } catch {
                throw CLIError("\(out): \(error.localizedDescription)")
            }
            if json {
                try printJSON(result)
            } else {
                print("party \(id): \(names.count) columns of \(columns.count) records, \(epochs) epochs in "
                      + "\(String(format: "%.2f", result.seconds)) s; \(party.cost.rounds) rounds, sent \(MPCPartyCommand.megabytes(party.cost.bytesSent)); "
                      + "learned \(names.count) weights" + (model.bias != nil ? " and the bias" : ""))
                Terminal.note("wrote \(out)")
            }
        } catch let error as BulwarkCrypto.CryptoError {
            throw CLIError("party \(id): \(error.message)")
        }
    }

    /// A CSV file's numeric columns (all but `label`), their names, and the 0/1 labels.
    static func readColumns(path: String, label: String?) throws -> (rows: [[Double]], names: [String], labels: [Double]?) {
        // FileSource opens regular files only (a FIFO or a device is refused, never waited on).
        let bytes: [UInt8]
        do {
            let source = try FileSource(path: path)
            guard source.size <= CSVDataset.defaultMaxBytes else { throw CLIError("\(path): larger than \(CSVDataset.defaultMaxBytes) bytes") }
            bytes = try source.read(offset: 0, count: source.size)
        } catch let error as ArchiveError { throw CLIError(error.message) }
        let table: CSV.Table
        do { table = try CSV.parse(bytes, label: path) } catch { throw CLIError(error.message) }
        guard let header = table.records.first else { throw CLIError("\(path): empty file, expected a header row of column names") }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
        var labelIndex: Int?
        if let label {
            guard let index = names.firstIndex(of: label) else { throw CLIError("\(path): no column named '\(label)'") }
            labelIndex = index
        }
        guard names.count > (labelIndex == nil ? 0 : 1) else { throw CLIError("\(path): no feature columns") }
        var rows: [[Double]] = [], labels: [Double] = []
        for (record, line) in zip(table.records.dropFirst(), table.lines.dropFirst()) {
            guard record.count == names.count else {
                throw CLIError("\(path): line \(line) has \(record.count) cells, the header \(names.count)")
            }
            var row: [Double] = []
            for (column, cell) in record.enumerated() {
                guard let value = Double(cell.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw CLIError("\(path): line \(line), column '\(names[column])': '\(cell)' is not a finite number")
                }
                if column == labelIndex {
                    guard value == 0 || value == 1 else { throw CLIError("\(path): line \(line): label \(cell) is not 0 or 1") }
                    labels.append(value)
                } else {
                    row.append(value)
                }
            }
            rows.append(row)
        }
        guard !rows.isEmpty else { throw CLIError("\(path): no records") }
        let featureNames = names.enumerated().filter { $0.offset != labelIndex }.map(\.element)
        return (rows, featureNames, labelIndex == nil ? nil : labels)
    }

    private static func bytes(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
}

private extension JSONEncoder {
    /// Sorted keys: the same bytes for the same value at every party.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
