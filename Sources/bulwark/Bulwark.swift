import ArgumentParser
import BulwarkArchive

/// The `bulwark` command: one subcommand per verb (ARCHITECTURE.md).
@main
struct Bulwark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulwark",
        abstract: "Secure machine-learning systems: assess, harden, protect the pipeline.",
        version: BulwarkVersion.current,
        subcommands: [
            // SUBCOMMANDS (keep one per line, sorted; each lives in its own file)
            AssessCommand.self,
            AttestCommand.self,
            BomCommand.self,
            CertifyCommand.self,
            DefendCommand.self,
            EvaluateCommand.self,
            ExportCommand.self,
            InspectCommand.self,
            PredictCommand.self,
            PrivacyCommand.self,
            ScanCommand.self,
            SignCommand.self,
            TrainCommand.self,
            VerifyCommand.self,
        ]
    )
}
