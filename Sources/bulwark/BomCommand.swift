import ArgumentParser
import BulwarkSupplyChain
import Foundation

/// `bulwark bom`: a CycloneDX 1.6 ML-BOM for a model.
struct BomCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bom",
        abstract: "Write a CycloneDX 1.6 ML-BOM (JSON) for a model file or directory.",
        discussion: """
        Lists the model (type machine-learning-model) with its SHA-256 digests, format, parameter \
        count and architecture read from ONNX / safetensors / config.json, the model-card fields \
        given with --card (JSON or YAML) or options (options win), and the digest of --signature. \
        The timestamp is now, or SOURCE_DATE_EPOCH when set (reproducible builds).
        """
    )

    @Argument(help: "The model file or directory.")
    var model: String

    @Option(name: [.customLong("out"), .customLong("output")], help: "Write the BOM here instead of standard output (--output is the older name).")
    var output: String?

    @Option(help: "Model-card file (JSON or YAML): name, version, description, license, task, approach, architecture_family, model_architecture, authors, datasets, users, intended_use, limitations, tradeoffs, ethical_considerations, metrics.")
    var card: String?

    @Option(help: "Signature bundle (from bulwark sign or model-signing) whose SHA-256 to record.")
    var signature: String?

    @Option(help: "Model name (default: the file or directory name).") var name: String?
    @Option(help: "Model version.") var version: String?
    @Option(help: "Description.") var description: String?
    @Option(help: "License, an SPDX expression such as Apache-2.0.") var license: String?
    @Option(help: "Task, e.g. image-classification.") var task: String?
    @Option(help: "Approach: supervised, unsupervised, reinforcement-learning, semi-supervised, self-supervised.") var approach: String?
    @Option(name: .customLong("architecture-family"), help: "Architecture family, e.g. resnet.") var architectureFamily: String?
    @Option(help: "Author (repeatable).") var author: [String] = []
    @Option(help: "Dataset name (repeatable).") var dataset: [String] = []
    @Option(name: .customLong("intended-use"), help: "Intended use (repeatable).") var intendedUse: [String] = []
    @Option(help: "Known limitation (repeatable).") var limitation: [String] = []

    @Option(name: .customLong("ignore-paths"), parsing: .upToNextOption, help: "Paths to leave out (resolved from the current directory).")
    var ignorePaths: [String] = []

    @Flag(name: .customLong("allow-symlinks"), help: "Follow symbolic links to files.")
    var allowSymlinks: Bool = false

    func run() async throws {
        guard FileManager.default.fileExists(atPath: model) else { throw ValidationError("no such model file or directory '\(model)'") }
        if let output { try refuseOverwrite(output, inputs: [model, signature, card], trees: [model], role: "--out") }
        var options = MLBOMOptions()
        do {
            var fromOptions = ModelCard()
            fromOptions.name = name
            fromOptions.version = version
            fromOptions.description = description
            fromOptions.license = license
            fromOptions.task = task
            fromOptions.approach = approach
            fromOptions.architectureFamily = architectureFamily
            fromOptions.authors = author
            fromOptions.datasets = dataset
            fromOptions.intendedUses = intendedUse
            fromOptions.limitations = limitation
            let fromFile = try card.map { path throws(BOMError) in try ModelCard(file: path) } ?? ModelCard()
            options.card = fromFile.overridden(by: fromOptions)
            options.signatureFile = signature
            if let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let seconds = Double(epoch) {
                options.timestamp = Date(timeIntervalSince1970: seconds)
            }
            let ignored = ModelPathResolver.relativeToModel(model: model, paths: ignorePaths + [output, signature].compactMap { $0 })
            options.hashing = HashingOptions(ignorePaths: ignored, allowSymlinks: allowSymlinks)
            let bom = try await MLBOMBuilder.build(modelAt: model, options: options)
            if let output {
                try Data(bom.json).write(to: URL(fileURLWithPath: output), options: .atomic)
                let parameters = bom.inspection.parameterCount.map { "\($0) parameters" } ?? "parameter count unknown"
                Terminal.note("Wrote \(output): CycloneDX 1.6 ML-BOM, \(bom.manifest.fileCount) files, \(bom.inspection.formats.isEmpty ? "format unknown" : bom.inspection.formats.joined(separator: "+")), \(parameters)")
            } else {
                FileHandle.standardOutput.write(Data(bom.json))
            }
        } catch let error as BOMError {
            Terminal.note("error: \(error.message)")
            throw ExitCode(2)
        } catch let error as CocoaError {
            Terminal.note("error: cannot write '\(output ?? "-")': \(error.localizedDescription)")
            throw ExitCode(2)
        }
    }
}
