public import ArgumentParser
import BulwarkData
import BulwarkModels
public import BulwarkPoisoning
import BulwarkTensor
import Foundation

extension PoisoningAttackKind: ExpressibleByArgument {}

extension PatchPosition: ExpressibleByArgument {
    /// `bottom-right`, `bottom-left`, `top-right`, `top-left`, or `x,y` (column, row of the top-left pixel).
    public init?(argument: String) {
        switch argument {
        case "bottom-right": self = .bottomRight
        case "bottom-left": self = .bottomLeft
        case "top-right": self = .topRight
        case "top-left": self = .topLeft
        default:
            let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2, let x = Int(parts[0]), let y = Int(parts[1]), x >= 0, y >= 0 else { return nil }
            self = .at(x: x, y: y)
        }
    }
}

/// `--pattern`: a built-in pattern or an `.npy` file.
enum PatternArgument: ExpressibleByArgument {
    case white, checkerboard, noise
    case file(String)

    init?(argument: String) {
        switch argument {
        case "white": self = .white
        case "checkerboard": self = .checkerboard
        case "noise": self = .noise
        default:
            guard argument.lowercased().hasSuffix(".npy") else { return nil }
            self = .file(argument)
        }
    }
}

/// `bulwark poison`: red-team a training set (attack, the default) and measure what the poison did
/// to a model trained on it (evaluate).
struct PoisonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poison",
        abstract: "Poison a training set for red-teaming (attack, the default), measure the poisoned model (evaluate), retrain without flagged rows (repair).",
        subcommands: [PoisonAttackCommand.self, PoisonEvaluateCommand.self, PoisonRepairCommand.self],
        defaultSubcommand: PoisonAttackCommand.self
    )
}
