import ArgumentParser
import BulwarkCrypto
import BulwarkData
import BulwarkModels
import BulwarkTensor
import Foundation

/// `bulwark he infer`: encrypted inference — the client encrypts, a separate server process
/// (`he evaluate`) computes on ciphertexts only, the client decrypts.
struct HEInferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Encrypted inference of a square/poly-activation zoo mlp: encrypt, evaluate in a separate server process, decrypt.",
        discussion: """
        The model is a zoo mlp with one hidden layer and a polynomial activation (bulwark train \
        --model mlp --hidden 32 --activation square). The client makes a CKKS secret key \
        (N = 8192, primes 52, 38, 38, 38 | 52, scale 2^38: 128-bit secure), the relinearisation \
        and Galois keys, and encrypts the images four per ciphertext; it then runs `bulwark he \
        evaluate` as a separate process, which reads only the model, the evaluation keys and the \
        ciphertexts and writes encrypted logits (baby-step giant-step diagonal products, square, \
        product); the client decrypts them. Before encrypting, the largest value the evaluation \
        will hold is bounded from the plaintext; inputs that would exceed what the parameters \
        can decrypt are refused, and decrypted logits that stray from plaintext inference by \
        more than 10^-2 (relative) are refused too — a wrong result is never printed.

        Reports the largest |error| against plaintext inference, argmax agreement, the \
        ciphertext sizes sent each way and the time per image; writes the logits (N×10 float32) \
        with --out.

          bulwark he infer --model mlp-square.safetensors --input x.npy --out logits.npy
          bulwark he infer --model mlp-square.safetensors --dataset fashion-mnist --count 1000 --json
        """
    )

    @Option(help: "The model: a zoo mlp with one hidden layer and --activation square or poly (.safetensors).")
    var model: String

    @Option(help: "Images (.npy or .npz; N×784 or N×1×28×28 float32/float64, or uint8 ÷ 255).")
    var input: String?

    @Option(help: "Built-in dataset instead of --input: its test split.")
    var dataset: DatasetChoice?

    @Option(name: .customLong("data-dir"), help: "Directory holding the Fashion-MNIST IDX files.")
    var dataDirectory: String = FashionMNIST.defaultDirectory

    @Option(parsing: .unconditional, help: "With --dataset: the first N test images (default 100).")
    var count: Int?

    @Option(help: "Where to write the decrypted logits (.npy, N×10 float32).")
    var out: String?

    @Option(name: .customLong("keep"), help: "A directory to keep the exchanged files in (keys.bin, images.ct, logits.ct) instead of a temporary one.")
    var keepDirectory: String?

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    /// What `--json` prints.
    struct Result: Codable {
        var model: String
        var shape: String
        var activation: String
        var parameters: Parameters
        var images: Int
        var imagesPerCiphertext: Int
        var ciphertexts: Int
        var maxAbsError: Double
        var argmaxAgreement: Double
        var accuracyEncrypted: Double?
        var accuracyPlaintext: Double?
        var valueBound: Double
        var valueLimit: Double
        var bytes: Bytes
        var seconds: Seconds
        var secondsPerImage: PerImage
        var out: String?

        struct Parameters: Codable {
            var polyDegree: Int, modulusBits: [Int], scaleBits: Int, security: String
            enum CodingKeys: String, CodingKey {
                case polyDegree = "poly_degree", modulusBits = "modulus_bits", scaleBits = "scale_bits", security
            }
        }
        struct Bytes: Codable {
            var evaluationKeys: Int, inputCiphertext: Int, outputCiphertext: Int, sentToServer: Int, receivedFromServer: Int
            enum CodingKeys: String, CodingKey {
                case evaluationKeys = "evaluation_keys", inputCiphertext = "input_ciphertext", outputCiphertext = "output_ciphertext"
                case sentToServer = "sent_to_server", receivedFromServer = "received_from_server"
            }
        }
        struct Seconds: Codable {
            var keyGeneration: Double, encrypt: Double, serverProcess: Double, serverLoad: Double, serverEvaluate: Double
            var decrypt: Double, total: Double
            enum CodingKeys: String, CodingKey {
                case keyGeneration = "key_generation", encrypt, serverProcess = "server_process", serverLoad = "server_load"
                case serverEvaluate = "server_evaluate", decrypt, total
            }
        }
        struct PerImage: Codable {
            var encrypt: Double, evaluate: Double, decrypt: Double, endToEnd: Double, endToEndCPU: Double
            enum CodingKeys: String, CodingKey {
                case encrypt, evaluate, decrypt, endToEnd = "end_to_end", endToEndCPU = "end_to_end_cpu"
            }
        }
        enum CodingKeys: String, CodingKey {
            case model, shape, activation, parameters, images, imagesPerCiphertext = "images_per_ciphertext", ciphertexts
            case maxAbsError = "max_abs_error", argmaxAgreement = "argmax_agreement", accuracyEncrypted = "accuracy_encrypted"
            case accuracyPlaintext = "accuracy_plaintext", valueBound = "value_bound", valueLimit = "value_limit"
            case bytes, seconds, secondsPerImage = "seconds_per_image", out
        }
    }

    /// The most images one run takes (the test split's size).
    static let maximumImages = 10_000

    func validate() throws {
        guard (input == nil) != (dataset == nil) else { throw ValidationError("give the images: --input X.npy or --dataset fashion-mnist") }
        if let count {
            guard dataset != nil else { throw ValidationError("--count goes with --dataset (--input takes every image of the file)") }
            try Bounds.check(count, in: 1...Self.maximumImages, "--count")
        }
        if let out, !out.hasSuffix(".npy") { throw ValidationError("--out must name a .npy file") }
    }

    /// The images (N×784, Float) and, for a dataset, their labels.
    func images() throws -> (rows: [[Float]], labels: [Int]?) {
        let tensor: Tensor, labels: [Int]?
        if let input {
            do throws(DataError) { tensor = try ArrayFiles.inputs(path: input, exampleShape: ZooArchitecture.defaultExampleShape) } catch {
                throw CLIError(error.message)
            }
            labels = nil
        } else {
            let test: LabeledDataset
            do throws(DataError) { test = try FashionMNIST.load(.test, directory: dataDirectory, limit: count ?? 100) } catch { throw CLIError(error.message) }
            (tensor, labels) = (test.inputs, test.labels)
        }
        let n = tensor.shape[0]
        guard n >= 1, n <= Self.maximumImages else { throw CLIError("--input holds \(n) images; he infer takes 1…\(Self.maximumImages)") }
        let width = tensor.count / n
        let rows = (0..<n).map { i in Array(tensor.scalars[i * width..<(i + 1) * width]) }
        if let bad = rows.firstIndex(where: { !$0.allSatisfy(\.isFinite) }) {
            throw CLIError("image \(bad) holds a NaN or infinite value")
        }
        return (rows, labels)
    }

    /// This executable, to run the server step with.
    static var executable: URL {
        #if os(Linux)
        let link = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if FileManager.default.isExecutableFile(atPath: link.path) { return link }
        #endif
        return Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    }

    func run() throws {
        if let out { try refuseOverwrite(out, inputs: [model, input], role: "--out") }
        let t0 = HEClock.wall()
        let loaded = try HEInferModel(path: model)
        let mlp = loaded.squareMLP
        let (images, labels) = try images()
        guard images[0].count == mlp.inputCount else {
            throw CLIError("the images have \(images[0].count) values each; the model takes \(mlp.inputCount)")
        }
        let parameters = CKKSParameters.n8192Depth3
        let plan: CKKSInferencePlan
        do throws(CryptoError) { plan = try CKKSInferencePlan(parameters: parameters, model: mlp) } catch { throw CLIError(error.message) }
        let bound = mlp.outputMagnitudeBound(images: images, plan: plan)
        guard bound < plan.valueLimit else {
            throw CLIError(String(format: "the model's output product reaches %.4g on these images, above the %.0f that CKKS N = 8192 with a 52-bit q0 and scale 2^38 can decrypt; refusing (retrain with a smaller --lr or weight scale, or scale the inputs down)", bound, plan.valueLimit))
        }
        let plaintext = images.map { mlp.logits($0) }

        // Client: keys and encryption.
        let client: CKKSInferenceClient, keys: CKKSEvaluationKeys
        let tk0 = HEClock.wall()
        do throws(CryptoError) {
            client = try CKKSInferenceClient(plan: plan)
            keys = client.evaluationKeys()
        } catch { throw CLIError(error.message) }
        let tk1 = HEClock.wall(), ck1 = HEClock.cpu()
        let encrypted: [CKKSEncryptedImages]
        do throws(CryptoError) { encrypted = try client.encrypt(images: images) } catch { throw CLIError(error.message) }
        let inputBytes = encrypted.map { ($0.imageCount, $0.ciphertext.serializedData()) }
        let te = HEClock.wall(), ce = HEClock.cpu()

        let directory = try workDirectory()
        defer { if keepDirectory == nil { try? FileManager.default.removeItem(at: directory) } }
        let keysPath = directory.appendingPathComponent("keys.bin").path
        let imagesPath = directory.appendingPathComponent("images.ct").path
        let logitsPath = directory.appendingPathComponent("logits.ct").path
        let keyFile = HEInferFiles.framed(HEInferFiles.keysMagic,
                                          [parameters.serializedData(), keys.relinearization.serializedData(), keys.galois.serializedData()])
        let imageFile = HEInferFiles.batches(inputBytes.map { (count: $0.0, ciphertext: $0.1) }, magic: HEInferFiles.imagesMagic)
        try HEInferFiles.write(keyFile, to: keysPath)
        try HEInferFiles.write(imageFile, to: imagesPath)

        // Server: a separate process that sees the model, the evaluation keys and ciphertexts.
        let ts0 = HEClock.wall()
        let server = try runServer(["he", "evaluate", "--model", model, "--keys", keysPath, "--in", imagesPath, "--out", logitsPath, "--json"])
        let ts1 = HEClock.wall()

        // Client: decryption and the comparison with plaintext inference.
        let cd0 = HEClock.cpu()
        let logitFile = try HEInferFiles.read(logitsPath, what: "logits")
        let decrypted: [[Double]]
        let outputCiphertextBytes: Int
        do {
            let items = try HEInferFiles.batches(logitFile, magic: HEInferFiles.logitsMagic, maximumCount: plan.imagesPerCiphertext,
                                                 path: logitsPath, what: "logits")
            guard items.map(\.count) == encrypted.map(\.imageCount) else {
                throw CLIError("the server returned \(items.count) ciphertexts for \(encrypted.count) sent")
            }
            outputCiphertextBytes = items.first?.ciphertext.count ?? 0
            var batches: [CKKSEncryptedLogits] = []
            for item in items {
                do throws(CryptoError) {
                    batches.append(CKKSEncryptedLogits(ciphertext: try CKKSCiphertext(serializedData: item.ciphertext, context: client.context),
                                                       imageCount: item.count))
                } catch { throw CLIError("\(logitsPath): \(error.message)") }
            }
            do throws(CryptoError) { decrypted = try client.decrypt(batches) } catch { throw CLIError(error.message) }
        }
        let td = HEClock.wall(), cd1 = HEClock.cpu()

        var maxError = 0.0, agree = 0, correctEncrypted = 0, correctPlain = 0
        let largest = plaintext.flatMap(\.self).map(abs).max() ?? 0
        for (i, (enc, plain)) in zip(decrypted, plaintext).enumerated() {
            for (a, b) in zip(enc, plain) { maxError = max(maxError, abs(a - b).isNaN ? .infinity : abs(a - b)) }
            let (ea, pa) = (Self.argmax(enc), Self.argmax(plain))
            if ea == pa { agree += 1 }
            if let labels {
                if ea == labels[i] { correctEncrypted += 1 }
                if pa == labels[i] { correctPlain += 1 }
            }
        }
        guard maxError <= 1e-2 * max(1, largest) else {
            throw CLIError(String(format: "decrypted logits differ from plaintext inference by %.3g (largest logit %.3g): the CKKS noise is too large for this model; refusing to report them", maxError, largest))
        }
        if let out {
            let flat = decrypted.flatMap { $0.map(Float.init) }
            do throws(DataError) { try NPY.write(NDArray(Tensor(shape: [decrypted.count, mlp.outputCount], scalars: flat)), path: out) } catch {
                throw CLIError(error.message)
            }
        }

        let n = Double(images.count)
        let serverCPU = server.evaluateCPUSeconds
        let result = Result(
            model: model, shape: loaded.shapeText, activation: loaded.activation.rawValue,
            parameters: .init(polyDegree: parameters.polyDegree, modulusBits: parameters.coefficientModulusBits,
                              scaleBits: Int(log2(parameters.scale)), security: parameters.securityDescription),
            images: images.count, imagesPerCiphertext: plan.imagesPerCiphertext, ciphertexts: encrypted.count,
            maxAbsError: maxError, argmaxAgreement: Double(agree) / n,
            accuracyEncrypted: labels.map { _ in Double(correctEncrypted) / n }, accuracyPlaintext: labels.map { _ in Double(correctPlain) / n },
            valueBound: bound, valueLimit: plan.valueLimit,
            bytes: .init(evaluationKeys: keyFile.count, inputCiphertext: inputBytes.first?.1.count ?? 0, outputCiphertext: outputCiphertextBytes,
                         sentToServer: keyFile.count + imageFile.count, receivedFromServer: logitFile.count),
            seconds: .init(keyGeneration: tk1 - tk0, encrypt: te - tk1, serverProcess: ts1 - ts0, serverLoad: server.loadSeconds,
                           serverEvaluate: server.evaluateSeconds, decrypt: td - ts1, total: td - t0),
            secondsPerImage: .init(encrypt: (te - tk1) / n, evaluate: server.evaluateSeconds / n, decrypt: (td - ts1) / n,
                                   endToEnd: ((te - tk1) + server.evaluateSeconds + (td - ts1)) / n,
                                   endToEndCPU: ((ce - ck1) + serverCPU + (cd1 - cd0)) / n),
            out: out)
        if json { return try printJSON(result) }
        print(Self.text(result))
    }

    /// Runs `bulwark he evaluate` as a child process and returns its JSON report; its one-line
    /// error becomes this command's.
    func runServer(_ arguments: [String]) throws -> HEEvaluateCommand.Result {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch { throw CLIError("cannot start the server step \(Self.executable.path): \(fileSystemMessage(error) ?? "\(error)")") }
        nonisolated(unsafe) var errorData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errorData = stderr.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        group.wait()
        guard process.terminationStatus == 0 else {
            let line = String(decoding: errorData, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "no message"
            throw CLIError("the server step (he evaluate) failed: \(line.hasPrefix("Error: ") ? String(line.dropFirst(7)) : line)")
        }
        do { return try JSONDecoder().decode(HEEvaluateCommand.Result.self, from: outputData) } catch {
            throw CLIError("the server step (he evaluate) printed no report")
        }
    }

    /// `--keep`, created if needed, or a fresh temporary directory.
    func workDirectory() throws -> URL {
        let url = keepDirectory.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-he-infer-\(UUID().uuidString)")
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw CLIError("\(url.path): cannot create the directory (\(fileSystemMessage(error) ?? "\(error)"))")
        }
        return url
    }

    static func argmax(_ v: [Double]) -> Int { v.indices.max { v[$0] < v[$1] } ?? 0 }

    static func text(_ r: Result) -> String {
        var lines = [
            String(format: "%d images, %@ %@ mlp, CKKS N = %d, moduli %@ bits, scale 2^%d (%@)", r.images, r.shape, r.activation,
                   r.parameters.polyDegree, r.parameters.modulusBits.map(String.init).joined(separator: ","), r.parameters.scaleBits,
                   r.parameters.security),
            String(format: "argmax agreement with plaintext %.4f, max |error| %.3g (value bound %.4g < %.0f)", r.argmaxAgreement, r.maxAbsError,
                   r.valueBound, r.valueLimit),
        ]
        if let e = r.accuracyEncrypted, let p = r.accuracyPlaintext {
            lines.append(String(format: "accuracy: encrypted %.4f, plaintext %.4f", e, p))
        }
        lines.append(String(format: "sent to the server: %d bytes (evaluation keys %d, %d ciphertexts of %d bytes, %d images each); received %d bytes (%d bytes per ciphertext)",
                            r.bytes.sentToServer, r.bytes.evaluationKeys, r.ciphertexts, r.bytes.inputCiphertext, r.imagesPerCiphertext,
                            r.bytes.receivedFromServer, r.bytes.outputCiphertext))
        lines.append(String(format: "per image: encrypt %.4f s, evaluate %.4f s, decrypt %.5f s, end to end %.4f s (keys %.2f s once; total %.1f s)",
                            r.secondsPerImage.encrypt, r.secondsPerImage.evaluate, r.secondsPerImage.decrypt, r.secondsPerImage.endToEnd,
                            r.seconds.keyGeneration, r.seconds.total))
        if let out = r.out { lines.append("wrote \(out)") }
        return lines.joined(separator: "\n")
    }
}
