import ArgumentParser

/// `bulwark defend`: harden a model against evasion.
struct DefendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defend",
        abstract: "Harden a model against evasion attacks.",
        subcommands: [DefendTrainCommand.self, DefendCheckCommand.self, DefendDetectCommand.self]
    )
}
