import ArgumentParser
import BulwarkCrypto
import Foundation

/// `bulwark he evaluate`: the server step of encrypted inference — computes the logits of
/// encrypted images with the client's evaluation keys, never holding a secret key.
struct HEEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Server step of encrypted inference: encrypted images in, encrypted logits out (no secret key involved).",
        discussion: """
        Reads the evaluation keys (CKKS parameters, relinearisation and Galois keys — a keys file \
        cannot hold a secret key) and the ciphertexts of packed images that `bulwark he infer` \
        wrote, evaluates the model's W2·(W1·x + b1)² + b2 on every ciphertext, and writes the \
        encrypted logits. `he infer` runs this step as a separate process; run it yourself to \
        put the server on another machine:

          bulwark he evaluate --model mlp-square.safetensors --keys keys.bin --in images.ct --out logits.ct
        """
    )

    @Option(help: "The model: a zoo mlp with one hidden layer and --activation square or poly (.safetensors).")
    var model: String

    @Option(help: "Evaluation keys written by he infer (--keep).")
    var keys: String

    @Option(name: .customLong("in"), help: "Encrypted images written by he infer.")
    var input: String

    @Option(help: "Where to write the encrypted logits.")
    var out: String

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    /// What `--json` prints.
    struct Result: Codable {
        var ciphertexts: Int
        var images: Int
        var loadSeconds: Double
        var evaluateSeconds: Double
        var evaluateCPUSeconds: Double
        var outputBytes: Int
        enum CodingKeys: String, CodingKey {
            case ciphertexts, images, loadSeconds = "load_seconds", evaluateSeconds = "evaluate_seconds"
            case evaluateCPUSeconds = "evaluate_cpu_seconds", outputBytes = "output_bytes"
        }
    }

    func run() throws {
        try refuseOverwrite(out, inputs: [model, keys, input], role: "--out")
        let start = HEClock.wall()
        let mlp = try HEInferModel(path: model).squareMLP
        let keyRecords = try HEInferFiles.records(HEInferFiles.read(keys, what: "keys"), magic: HEInferFiles.keysMagic, path: keys, what: "keys")
        guard keyRecords.count == 3 else { throw CLIError("\(keys): a keys file holds 3 records (parameters, relinearisation, Galois keys), not \(keyRecords.count)") }
        let server: CKKSInferenceServer
        let batches: [CKKSEncryptedImages]
        do throws(CryptoError) {
            let parameters = try CKKSParameters(serializedData: keyRecords[0])
            let plan = try CKKSInferencePlan(parameters: parameters, model: mlp)
            let context = try CKKSContext(parameters: parameters)
            let evaluationKeys = CKKSEvaluationKeys(relinearization: try CKKSRelinearizationKey(serializedData: keyRecords[1], context: context),
                                                    galois: try CKKSGaloisKeys(serializedData: keyRecords[2], context: context))
            server = try CKKSInferenceServer(model: mlp, plan: plan, context: context, keys: evaluationKeys)
            var read: [CKKSEncryptedImages] = []
            let items: [(count: Int, ciphertext: [UInt8])]
            do {
                items = try HEInferFiles.batches(HEInferFiles.read(input, what: "images"), magic: HEInferFiles.imagesMagic,
                                                 maximumCount: plan.imagesPerCiphertext, path: input, what: "images")
            } catch {
                throw CryptoError(.malformed, (error as? CLIError)?.description ?? "\(input): unreadable")
            }
            for item in items {
                read.append(CKKSEncryptedImages(ciphertext: try CKKSCiphertext(serializedData: item.ciphertext, context: context), imageCount: item.count))
            }
            batches = read
        } catch {
            throw CLIError("he evaluate: \(error.message)")
        }
        let loaded = HEClock.wall()
        let cpu0 = HEClock.cpu()
        var outputs: [(count: Int, ciphertext: [UInt8])] = []
        do throws(CryptoError) {
            for batch in batches {
                let logits = try server.evaluate(batch)
                outputs.append((logits.imageCount, logits.ciphertext.serializedData()))
            }
        } catch {
            throw CLIError("he evaluate: \(error.message)")
        }
        let evaluated = HEClock.wall(), cpu1 = HEClock.cpu()
        let bytes = HEInferFiles.batches(outputs, magic: HEInferFiles.logitsMagic)
        try HEInferFiles.write(bytes, to: out)
        let result = Result(ciphertexts: batches.count, images: batches.reduce(0) { $0 + $1.imageCount }, loadSeconds: loaded - start,
                            evaluateSeconds: evaluated - loaded, evaluateCPUSeconds: cpu1 - cpu0, outputBytes: bytes.count)
        if json { return try printJSON(result) }
        print(String(format: "evaluated %d images in %d ciphertexts in %.3f s (%.4f s/image) → %@", result.images, result.ciphertexts,
                     result.evaluateSeconds, result.evaluateSeconds / Double(max(1, result.images)), out))
    }
}
