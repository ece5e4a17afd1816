import ArgumentParser
import BulwarkSupplyChain
import Foundation

/// `bulwark verify`: check a model against its OpenSSF Model Signing signature.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a model against its OpenSSF Model Signing signature (from Bulwark or model-signing).",
        discussion: """
        Checks the bundle's signature with --public-key, or its certificate chain against the CA \
        certificates of --certificate-chain, then hashes the model as the signature records \
        (files or shards, ignored paths) and compares every digest. Exit codes: 0 verified; \
        1 the model differs from what was signed (each file listed on stderr); 2 the signature \
        is malformed, invalid, or from another key or CA, or the model cannot be read.
        """
    )

    @Argument(help: "The model file or directory.")
    var model: String

    @Option(name: .customLong("public-key"), help: "PEM public key of the signer.")
    var publicKey: String?

    @Option(name: .customLong("certificate-chain"), help: "PEM CA certificates trusted to issue signing certificates. Repeatable.")
    var certificateChain: [String] = []

    @Option(help: "The signature bundle to check.")
    var signature: String

    @OptionGroup var hashing: HashingArguments

    func validate() throws {
        guard (publicKey == nil) != certificateChain.isEmpty else {
            throw ValidationError("give either --public-key or --certificate-chain (not both)")
        }
    }

    func run() async throws {
        let resolved = try hashing.options(model: model, signature: signature, requireMethod: false)
        let options = ModelVerificationOptions(
            method: resolved.method,
            ignorePaths: resolved.hashing.ignorePaths,
            ignoreGitPaths: resolved.hashing.ignoreGitPaths,
            allowSymlinks: resolved.hashing.allowSymlinks,
            parallelism: resolved.hashing.parallelism
        )
        let started = Date()
        do {
            let key: ModelVerificationKey
            if let publicKey {
                key = .publicKey(try ModelSigningPublicKey(pemFile: publicKey))
            } else {
                key = .certificateAuthorities(try ModelSigningCertificate.load(pemFiles: certificateChain))
            }
            let verified = try await ModelVerifier.verify(modelAt: model, signatureFile: signature, key: key, options: options)
            let seconds = Date().timeIntervalSince(started)
            let manifest = verified.manifest
            print("Verified '\(model)': \(manifest.fileCount) files (\(manifest.items.count) \(manifest.serialization.method.name == "files" ? "digests" : "shards")) match the signature by \(verified.signer), in \(String(format: "%.2f", seconds)) s")
        } catch {
            Terminal.note("error: \(error.message)")
            for difference in error.differences { Terminal.note("  \(difference)") }
            throw ExitCode(error.code == .modelMismatch ? 1 : 2)
        }
    }
}
