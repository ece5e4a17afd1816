import ArgumentParser

/// `bulwark he`: homomorphic encryption — computing on data nobody may see.
struct HECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "he",
        abstract: "Homomorphic encryption: compute on encrypted numbers (Paillier, interoperable with python-paillier; CKKS).",
        subcommands: [HEPaillierCommand.self, HEBenchCommand.self, HEInferCommand.self, HEEvaluateCommand.self]
    )
}

/// `bulwark he paillier`: additive homomorphic encryption in python-paillier's file formats.
struct HEPaillierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paillier",
        abstract: "Paillier (g = n + 1): keys, encryption, encrypted sums and dot products; files as pheutil writes them.",
        discussion: """
        Keys are pheutil's JWKs (public: kty DAJ, alg PAI-GN1, n; private: p, q and the public key \
        under "pub"); a ciphertext is {"v": "<decimal>", "e": <exponent>}, many ciphertexts a JSON \
        array of those. Values are encoded as python-paillier does (base-16 exponents), so files \
        move between bulwark, phe and pheutil both ways.
        """,
        subcommands: [HEPaillierKeygenCommand.self, HEPaillierEncryptCommand.self, HEPaillierDecryptCommand.self,
                      HEPaillierSumCommand.self, HEPaillierDotCommand.self, HEPaillierBenchCommand.self]
    )
}
