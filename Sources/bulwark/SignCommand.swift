import ArgumentParser
import BulwarkSupplyChain
import Foundation

/// `bulwark sign`: sign a model file or directory in the OpenSSF Model Signing format.
struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a model (file or directory) in the OpenSSF Model Signing format.",
        discussion: """
        Writes a Sigstore bundle (the same format as the `model-signing` Python package, v1.x): \
        a DSSE envelope around an in-toto statement listing the SHA-256 of every file (or shard). \
        With --certificate-chain, the bundle carries the signing certificate and its chain; \
        otherwise it names the public key, and `bulwark verify --public-key` checks it. \
        Paths given to --ignore-paths and --signature are resolved from the current directory, \
        as model_signing does; the signature file is left out of the manifest when it lies inside the model.
        """
    )

    @Argument(help: "The model file or directory.")
    var model: String

    @Option(name: .customLong("private-key"), help: "PEM EC private key (P-256, P-384 or P-521; unencrypted).")
    var privateKey: String

    @Option(name: .customLong("certificate-chain"), help: "PEM certificates: the signing certificate (the one holding the key) and its chain. Repeatable.")
    var certificateChain: [String] = []

    @Option(name: .customLong("signing-certificate"), help: "PEM signing certificate, when it is not in --certificate-chain.")
    var signingCertificate: String?

    @Option(name: [.customLong("out"), .customLong("signature")],
            help: "Where to write the signature bundle (--signature, model_signing's spelling, is the same option).")
    var signature: String = "model.sig"

    @OptionGroup var hashing: HashingArguments

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() async throws {
        try refuseOverwrite(signature, inputs: [model, privateKey, signingCertificate] + certificateChain, trees: [model], role: "--out")
        let options = try hashing.options(model: model, signature: signature, requireMethod: true)
        let started = Date()
        do {
            let key = try ModelSigningPrivateKey(pemFile: privateKey)
            let identity: ModelSigningIdentity
            if certificateChain.isEmpty && signingCertificate == nil {
                identity = .key(key)
            } else {
                let leaf = try signingCertificate.map { try ModelSigningCertificate.load(pemFiles: [$0]) } ?? []
                let chain = try ModelSigningCertificate.load(pemFiles: certificateChain)
                identity = try .certificate(key: key, certificates: leaf + chain)
            }
            let result = try await ModelSigner.sign(modelAt: model, identity: identity, options: options.hashing)
            try result.write(to: signature)
            let seconds = Date().timeIntervalSince(started)
            let bytes = result.manifest.byteCount ?? 0
            let files = result.manifest.fileCount
            var signer: String
            switch identity {
            case .key(let key): signer = "\(key.publicKey.curveName) key \(key.publicKey.hint.prefix(16))…"
            case .certificate(_, let leaf, let chain): signer = "certificate '\(leaf.subject)' (+\(chain.count) in chain)"
            }
            if json {
                try printJSON(SignResult(model: result.manifest.modelName, files: files, items: result.manifest.items.count,
                                         method: options.hashing.method.name, bytes: bytes, seconds: seconds, signer: signer,
                                         signature: signature, sha256: result.bundleDigestHex))
            } else {
                print("Signed '\(result.manifest.modelName)': \(files) files, \(result.manifest.items.count) \(options.hashing.method.name == "files" ? "digests" : "shards"), \(HashingArguments.formatBytes(bytes)) in \(String(format: "%.2f", seconds)) s, by \(signer)")
                print("Signature: \(signature) (sha256 \(result.bundleDigestHex))")
            }
        } catch let error as SigningError {
            Terminal.note("error: \(error.message)")
            throw ExitCode(2)
        }
    }
}

/// What `sign --json` prints.
struct SignResult: Codable {
    var model: String, files: Int, items: Int, method: String, bytes: Int64, seconds: Double, signer: String, signature: String, sha256: String
}
