import ArgumentParser
import BulwarkData
import BulwarkModels
import BulwarkServing
import BulwarkTensor
import Foundation

/// `bulwark drift`: reference profiles for the gateway's drift monitor.
struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Make the reference profile a served model's drift monitor compares against.",
        subcommands: [DriftReferenceCommand.self]
    )
}

/// `bulwark drift reference`: profile reference data through a model into a JSON file for
/// `bulwark serve --drift-reference NAME=FILE`.
struct DriftReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract: "Profile reference data (inputs, predicted labels, embeddings) for drift monitoring.",
        discussion: """
        Records per-feature (tables, ≤ 64 values per example) or per-channel summary statistics \
        (images), the model's predicted-label distribution, and a sample of penultimate-layer \
        embeddings (logits for ONNX models), with the MMD test's permutation threshold computed \
        by the server at start.

          bulwark drift reference --model cnn.safetensors --data x_val.npy --labels y_val.npy --name fmnist --out fmnist-drift.json
        """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: LabelledDataOptions
    @Option(help: "The served model's name the reference is for.") var name: String
    @Option(help: "Where to write the reference (JSON).") var out: String

    func run() throws {
        let classifier = try model.load()
        let examples = try data.load(for: classifier, modelPath: model.model)
        do throws(ServingError) {
            let reference = try DriftReference.make(inputs: examples.inputs, model: classifier, modelName: name)
            try reference.write(to: out)
            print("wrote \(out): \(examples.inputs.shape.first ?? 0) reference examples of model '\(name)'")
        } catch {
            throw CLIError(error.message)
        }
    }
}
