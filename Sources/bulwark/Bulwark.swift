import ArgumentParser
import BulwarkArchive
import Foundation

/// The `bulwark` command: one subcommand per verb (ARCHITECTURE.md).
@main
struct Bulwark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulwark",
        abstract: "Secure machine-learning systems: assess, harden, protect the pipeline.",
        discussion: ExitStatus.table,
        version: BulwarkVersion.current,
        subcommands: [
            // SUBCOMMANDS (keep one per line, sorted; each lives in its own file)
            AdminCommand.self,
            AssessCommand.self,
            AttestCommand.self,
            AuditCommand.self,
            BomCommand.self,
            CertifyCommand.self,
            DataCommand.self,
            DefendCommand.self,
            DriftCommand.self,
            EvaluateCommand.self,
            ExportCommand.self,
            ExtractCommand.self,
            FederatedCommand.self,
            FingerprintCommand.self,
            HECommand.self,
            IncidentCommand.self,
            InspectCommand.self,
            LoginCommand.self,
            MPCCommand.self,
            PoisonCommand.self,
            PolicyCommand.self,
            PredictCommand.self,
            PrivacyCommand.self,
            RegistryCommand.self,
            ReportCommand.self,
            ScanCommand.self,
            ServeCommand.self,
            SignCommand.self,
            TrainCommand.self,
            VerifyCommand.self,
            WatermarkCommand.self,
        ]
    )

    /// Parses, runs, and exits with the status of ``ExitStatus``: a usage error is 64, an error
    /// while running (a missing, unreadable or malformed file, a failed write) is 2 with its one
    /// line on stderr, and a command that finished says 0, 1 or 3 itself.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .failure && !(error is ExitCode) {
                // Anything but the parser's own errors and an explicit status: an error while running.
                FileHandle.standardError.write(Data(("Error: " + (fileSystemMessage(error) ?? message(for: error)) + "\n").utf8))
                Foundation.exit(ExitStatus.error)
            }
            exit(withError: error)
        }
    }
}

/// A Foundation file-system error as one plain line — `PATH: Not a directory` — instead of its
/// `Error Domain=NSCocoaErrorDomain Code=512 "(null)" UserInfo={…}` description; `nil` for
/// any other error.
func fileSystemMessage(_ error: any Error) -> String? {
    let ns = error as NSError
    guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return nil }
    let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
    var reason: String
    if let inner = ns.userInfo[NSUnderlyingErrorKey] as? any Error, (inner as NSError).domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32((inner as NSError).code)))
    } else if ns.domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32(ns.code)))
    } else {
        reason = ns.localizedDescription
    }
    if reason.isEmpty || reason.contains("(null)") || reason.contains("NSCocoaErrorDomain") { reason = "the file system refused the operation" }
    return path.map { "\($0): \(reason)" } ?? reason
}

/// The exit statuses of every `bulwark` command.
enum ExitStatus {
    /// Done; nothing found (scan clean, signature and attestation verified).
    static let ok: Int32 = 0
    /// Done; the check found a problem (scan: malicious or suspicious; verify: mismatch; assess:
    /// the scan stopped the run).
    static let findings: Int32 = 1
    /// Not done: an input was missing, unreadable or malformed, or an output could not be written.
    static let error: Int32 = 2
    /// Done, but incomplete: some input could not be analysed (scan: an unsupported format), so
    /// nothing vouches for it.
    static let incomplete: Int32 = 3
    /// A bad option or value; nothing was done.
    static let usage: Int32 = 64

    /// The table, as `bulwark --help` and the README print it.
    static let table = """
        Exit status (every command):
          0   done; nothing found (scan clean, verify passed)
          1   done; the check found a problem (scan: malicious or
              suspicious; verify: mismatch; assess: stopped by the scan)
          2   not done: an input is missing, unreadable or malformed,
              or an output could not be written
          3   done, but incomplete: some input could not be analysed
              (scan: unsupported format)
          64  bad option or value; nothing was done
        """
}
