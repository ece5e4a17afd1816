public import ArgumentParser
import BulwarkFederated

/// `bulwark mpc`: secure two-party inference between separate processes over mutually
/// authenticated TLS — a model owner, a client and a trusted dealer.
struct MPCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpc",
        abstract: "Secure multi-party computation: secret-shared inference and vertical logistic regression between parties over TLS.",
        discussion: """
        Three parties: the model owner (id 0, holds the weights), the client (id 1, holds the \
        images and alone learns the output) and a trusted dealer (id 2, deals Beaver triples). \
        Semi-honest security: each of owner and client sees only uniformly random shares and \
        masked openings of the other's secret; the dealer sees the triples and the shapes but no \
        input and no opened value, and must not collude with either party. A malicious party \
        can make the result wrong or abort; it cannot read the other's secret from the protocol. \
        `train-lr` trains a logistic regression between two parties holding different columns \
        of the same records, with the same three roles (two feature parties and the dealer).
        """,
        subcommands: [MPCCertsCommand.self, MPCPartyCommand.self, MPCInferCommand.self, MPCTrainLRCommand.self]
    )
}

extension MPCInferenceReveal: ExpressibleByArgument {}
