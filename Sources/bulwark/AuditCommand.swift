import ArgumentParser
import BulwarkAccess
import Foundation

/// `bulwark audit`: verify, export and checkpoint the tamper-evident audit log a Bulwark server
/// keeps in its database.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, export and checkpoint the audit log (an RFC 6962 Merkle tree in the server's database).",
        subcommands: [AuditVerifyCommand.self, AuditExportCommand.self, AuditCheckpointCommand.self,
                      AuditKeygenCommand.self, AuditAppendCommand.self]
    )
}

/// Reads a key given inline or as a file holding it (trailing whitespace ignored).
private func keyText(_ value: String, flag: String) throws -> String {
    if FileManager.default.fileExists(atPath: value) {
        guard let data = FileManager.default.contents(atPath: value) else { throw CLIError("\(flag) \(value): cannot read the key file") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return value
}

/// `bulwark audit verify`: recompute the tree from the stored entries and check it against an
/// earlier signed checkpoint.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the stored audit log against an earlier signed checkpoint.",
        discussion: """
        Re-hashes every stored entry (never trusting the stored node hashes) and reports any entry \
        modified, deleted, reordered or truncated since CHECKPOINT was signed, even when the edit \
        was made directly in the database. Exit status 0 when the log verifies, 1 when damage is \
        found (one line per finding), 2 when an input is unreadable, malformed or its signature \
        does not verify.

          bulwark audit verify --database sqlite:/var/lib/bulwark/bulwark.db \\
              --checkpoint witness.checkpoint --key audit.vkey
        """
    )
    @Option(help: "The database: sqlite:PATH, a file path, or postgres://USER:PASS@HOST/DB.") var database: String
    @Option(help: "An earlier checkpoint (signed note) to verify against.") var checkpoint: String
    @Option(help: "The verifier key (name+id+key), inline or in a file.") var key: String
    @Option(help: "The log's origin (default: the checkpoint's first line).") var origin: String?
    @Option(help: "The log's latest published checkpoint, checked to extend the trusted one.") var latest: String?
    @Flag(help: "Print the report as JSON.") var json = false

    /// What `audit verify --json` prints.
    struct Output: Encodable {
        let entries: UInt64
        let trustedSize: UInt64
        let root: String
        let intact: Bool
        let findings: [Finding]
    }

    /// One finding in ``Output``.
    struct Finding: Encodable {
        let kind: String
        let index: UInt64?
        let message: String
    }

    func run() async throws {
        let verifier = try NoteVerifier(verifierKey: try keyText(key, flag: "--key"))
        guard let data = FileManager.default.contents(atPath: checkpoint) else { throw CLIError("--checkpoint \(checkpoint): cannot read the file") }
        let note = String(decoding: data, as: UTF8.self)
        let origin = self.origin ?? String(note.prefix(while: { $0 != "\n" }))
        let trusted = try CheckpointWitness.read(from: checkpoint, origin: origin, verifier: verifier)
        let latestCheckpoint = try latest.map { path throws(AccessError) in try CheckpointWitness.read(from: path, origin: origin, verifier: verifier) }
        let storage = try await SQLAuditStorage.open(database)
        let report: AuditVerificationReport
        do {
            report = try await AuditVerifier.verify(storage: storage, trusted: trusted, latest: latestCheckpoint)
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
        if json {
            try printJSON(Output(entries: report.entryCount, trustedSize: report.trustedSize, root: report.recomputedRoot.hex,
                                 intact: report.isIntact,
                                 findings: report.findings.map { Finding(kind: $0.kind.rawValue, index: $0.index, message: $0.message) }))
        } else if report.isIntact {
            print("verified: \(report.entryCount) entries; the first \(report.trustedSize) match the checkpoint; root \(report.recomputedRoot.hex)")
        } else {
            for finding in report.findings { print(finding.description) }
        }
        if !report.isIntact { throw ExitCode(ExitStatus.findings) }
    }
}

/// `bulwark audit export`: write entries as JSON Lines for a SIEM.
struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write audit entries as JSON Lines (canonical entry members plus leafHash), in index order.",
        discussion: """
          bulwark audit export --database sqlite:/var/lib/bulwark/bulwark.db --from 1000 --out audit.jsonl
        """
    )
    @Option(help: "The database: sqlite:PATH, a file path, or postgres://USER:PASS@HOST/DB.") var database: String
    @Option(help: "The first entry to write.") var from: UInt64 = 0
    @Option(help: "Stop before this entry (default: the end of the log).") var to: UInt64?
    @Option(help: "The output file, or - for standard output.") var out: String = "-"

    func validate() throws {
        if let to, to < from { throw ValidationError("--to \(to) is below --from \(from)") }
    }

    func run() async throws {
        let storage = try await SQLAuditStorage.open(database)
        do {
            let handle: FileHandle
            if out == "-" {
                handle = FileHandle.standardOutput
            } else {
                guard FileManager.default.createFile(atPath: out, contents: nil), let file = FileHandle(forWritingAtPath: out) else {
                    throw CLIError("--out \(out): cannot create the file")
                }
                handle = file
            }
            var end = to ?? 0
            if to == nil { end = try await storage.count() }
            let written = try await AuditExport.write(from: storage, to: handle, range: from..<max(from, end))
            if out != "-" {
                try handle.close()
                Terminal.note("wrote \(written) entries to \(out)")
            }
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
    }
}

/// `bulwark audit checkpoint`: sign the current tree head, optionally into a witness file.
struct AuditCheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign the log's current tree head as a C2SP checkpoint; with --out, advance a witness file.",
        discussion: """
        With --out, the file is replaced atomically, and only when the new checkpoint provably \
        extends the one it holds (a consistency proof is checked); a checkpoint that would move \
        it backwards or fork it is refused with exit status 2.

          bulwark audit checkpoint --database sqlite:/var/lib/bulwark/bulwark.db \\
              --signer-key audit.key --origin bulwark.example/audit --out witness.checkpoint
        """
    )
    @Option(help: "The database: sqlite:PATH, a file path, or postgres://USER:PASS@HOST/DB.") var database: String
    @Option(name: .customLong("signer-key"), help: "The file holding the signer key (from `bulwark audit keygen`).") var signerKey: String
    @Option(help: "The log's origin, the checkpoint's first line.") var origin: String
    @Option(help: "The witness file to advance (default: print the note).") var out: String?

    func run() async throws {
        guard let keyData = FileManager.default.contents(atPath: signerKey) else { throw CLIError("--signer-key \(signerKey): cannot read the file") }
        let signer = try NoteSigner(signerKey: String(decoding: keyData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        let storage = try await SQLAuditStorage.open(database)
        do {
            let log = try await AuditLog(storage: storage, origin: origin, signer: signer)
            let note = try await log.checkpoint()
            if let out {
                var proof: [MerkleHash] = []
                if FileManager.default.fileExists(atPath: out) {
                    let older = try CheckpointWitness.read(from: out, origin: origin, verifier: signer.verifier)
                    if older.size <= (await log.size) { proof = try await log.consistencyProof(from: older.size, to: log.size) }
                }
                let accepted = try CheckpointWitness.accept(note.serialized, proof: proof, at: out, origin: origin, verifier: signer.verifier)
                Terminal.note("\(out): checkpoint at size \(accepted.size), root \(accepted.rootHash.hex)")
            } else {
                print(note.serialized, terminator: "")
            }
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
    }
}

/// `bulwark audit keygen`: make an Ed25519 checkpoint signing key.
struct AuditKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 signer key for checkpoints (file mode 0600) and print its verifier key.",
        discussion: """
          bulwark audit keygen --name bulwark.example/audit --out audit.key > audit.vkey
        """
    )
    @Option(help: "The key name (usually the log's origin).") var name: String
    @Option(help: "The signer key file to write.") var out: String
    @Flag(help: "Replace an existing key file.") var force = false

    func run() throws {
        let signer = try NoteSigner.generate(name: name)
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL)
        let descriptor = open(out, flags, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw CLIError("--out \(out): the file exists; use --force to replace the key") }
            throw CLIError("--out \(out): cannot create (\(String(cString: strerror(errno))))")
        }
        let bytes = Array((signer.signerKey + "\n").utf8)
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            _ = fchmod(descriptor, 0o600)  // also when --force replaced a file with wider permissions
            try handle.write(contentsOf: Data(bytes))
            try handle.synchronize()
            try handle.close()
        } catch {
            throw CLIError("--out \(out): cannot write the key (\(error.localizedDescription))")
        }
        print(signer.verifier.verifierKey)
    }
}

/// `bulwark audit append`: add one entry by hand (for scripts and tests; the server appends its
/// own entries).
struct AuditAppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append one entry to the log (for scripts and tests; the server records its own requests).",
        discussion: """
        Prints the appended entry as one JSON line.

          bulwark audit append --database sqlite:audit.db --actor ana --action model.promote \\
              --resource models/resnet/3 --outcome allowed --detail ticket=OPS-12
        """
    )
    @Option(help: "The database: sqlite:PATH, a file path, or postgres://USER:PASS@HOST/DB.") var database: String
    @Option(help: "Who acted.") var actor: String
    @Option(help: "What was attempted, such as model.promote or login.") var action: String
    @Option(help: "What it was attempted on.") var resource: String
    @Option(help: "allowed, denied, succeeded or failed.") var outcome: String
    @Option(help: "The deciding policy rule.") var rule: String?
    @Option(help: "A further fact, KEY=VALUE (repeatable).") var detail: [String] = []

    func validate() throws {
        guard ["allowed", "denied", "succeeded", "failed"].contains(outcome) else {
            throw ValidationError("--outcome: expected allowed, denied, succeeded or failed, got '\(outcome)'")
        }
        for item in detail where !item.contains("=") { throw ValidationError("--detail '\(item)': expected KEY=VALUE") }
    }

    func run() async throws {
        var details: [String: String] = [:]
        for item in detail {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            details[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let storage = try await SQLAuditStorage.open(database)
        do {
            // Appending signs nothing; the log still needs a key, so a throwaway one serves.
            let log = try await AuditLog(storage: storage, origin: "bulwark audit append", signer: try NoteSigner.generate(name: "bulwark.append"))
            let entry = try await log.append(AuditEvent(actor: actor, action: action, resource: resource,
                                                        outcome: AuditOutcome(rawValue: outcome), rule: rule, details: details))
            FileHandle.standardOutput.write(Data(AuditExport.line(for: entry)))
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
    }
}
