public import BulwarkCrypto
public import Foundation

/// The messages of one secure-aggregation round, in the order they travel (Bonawitz et al.
/// 2017, Fig. 4; Bell et al. 2020 for SecAgg+). Every message is `Codable` and `Sendable`, so a
/// transport can carry it as it likes; keys, ciphertexts and packed vectors are `Data`.
///
/// 1. client → server ``AdvertiseKeys``; server → each client its ``KeyDirectory``.
/// 2. client → server ``ShareKeys``; server → each client its ``RoutedShares``.
/// 3. client → server ``MaskedInput``; server → each survivor the ``UnmaskingRequest``.
/// 4. client → server ``UnmaskingResponse``; the server removes the masks.
public enum SecureAggregationMessage {
    /// Round 1 (client → server): a client's two fresh X25519 public keys — one to agree the keys
    /// that encrypt shares, one to agree pairwise masks — signed with its long-term Ed25519 key.
    public struct AdvertiseKeys: Sendable, Hashable, Codable {
        /// The sending client's number.
        public var client: Int
        /// The X25519 public key (32 bytes) for share encryption.
        public var encryptionKey: Data
        /// The X25519 public key (32 bytes) for pairwise masks.
        public var maskingKey: Data
        /// Ed25519 signature over the round, the client's number and both keys.
        public var signature: Data

        /// A bundle as a client sends it (or as a test forges it).
        public init(client: Int, encryptionKey: Data, maskingKey: Data, signature: Data) {
            self.client = client
            self.encryptionKey = encryptionKey
            self.maskingKey = maskingKey
            self.signature = signature
        }
    }

    /// Round 1 (server → client): the signed key bundles of the recipient's neighbours that
    /// advertised (and its own), for the recipient to verify.
    public struct KeyDirectory: Sendable, Hashable, Codable {
        /// The client this directory is for.
        public var recipient: Int
        /// The bundles, the recipient's own included.
        public var bundles: [AdvertiseKeys]

        /// A directory for `recipient`.
        public init(recipient: Int, bundles: [AdvertiseKeys]) {
            self.recipient = recipient
            self.bundles = bundles
        }
    }

    /// One AES-GCM ciphertext carrying a client's shares for one neighbour; the server routes it
    /// without being able to read it.
    public struct EncryptedShares: Sendable, Hashable, Codable {
        /// The client whose secrets these are.
        public var sender: Int
        /// The neighbour that holds them.
        public var recipient: Int
        /// AES-256-GCM `nonce ‖ ciphertext ‖ tag`, authenticated with the round and both numbers.
        public var ciphertext: Data

        /// An encrypted share from `sender` for `recipient`.
        public init(sender: Int, recipient: Int, ciphertext: Data) {
            self.sender = sender
            self.recipient = recipient
            self.ciphertext = ciphertext
        }
    }

    /// Round 2 (client → server): a client's encrypted shares, one per neighbour that advertised.
    public struct ShareKeys: Sendable, Hashable, Codable {
        /// The sending client's number.
        public var client: Int
        /// One ciphertext per neighbour.
        public var shares: [EncryptedShares]

        /// The shares that `client` sends.
        public init(client: Int, shares: [EncryptedShares]) {
            self.client = client
            self.shares = shares
        }
    }

    /// Round 2 (server → client): the ciphertexts addressed to the recipient by the neighbours
    /// that sent their shares.
    public struct RoutedShares: Sendable, Hashable, Codable {
        /// The client these ciphertexts are for.
        public var recipient: Int
        /// The ciphertexts, one per sending neighbour.
        public var shares: [EncryptedShares]

        /// The ciphertexts routed to `recipient`.
        public init(recipient: Int, shares: [EncryptedShares]) {
            self.recipient = recipient
            self.shares = shares
        }
    }

    /// Round 3 (client → server): the client's quantised input plus its self mask and pairwise
    /// masks, modulo 2ᵏ, packed little-endian in `⌈k/8⌉` bytes per coordinate.
    public struct MaskedInput: Sendable, Hashable, Codable {
        /// The sending client's number.
        public var client: Int
        /// The packed masked vector.
        public var values: Data

        /// A masked vector from `client`.
        public init(client: Int, values: Data) {
            self.client = client
            self.values = values
        }
    }

    /// Round 4 (server → survivors): who sent a masked input (survivors) and who shared keys but
    /// sent none (dropouts). The same request goes to every survivor.
    public struct UnmaskingRequest: Sendable, Hashable, Codable {
        /// Clients whose masked inputs the server holds, ascending.
        public var survivors: [Int]
        /// Clients that sent shares but no masked input, ascending.
        public var dropouts: [Int]

        /// A request naming `survivors` and `dropouts`.
        public init(survivors: [Int], dropouts: [Int]) {
            self.survivors = survivors
            self.dropouts = dropouts
        }
    }

    /// One Shamir share that a shareholder reveals for the client `owner`.
    public struct RevealedShare: Sendable, Hashable, Codable {
        /// The client whose secret the share is of.
        public var owner: Int
        /// The share (the holder's point and five field elements).
        public var share: ShamirShare

        /// `share` of `owner`'s secret.
        public init(owner: Int, share: ShamirShare) {
            self.owner = owner
            self.share = share
        }
    }

    /// Round 4 (client → server): for each neighbour (and itself) that survived, its share of the
    /// self-mask seed; for each neighbour that dropped, its share of the masking private key.
    public struct UnmaskingResponse: Sendable, Hashable, Codable {
        /// The answering client's number.
        public var client: Int
        /// Shares of survivors' self-mask seeds.
        public var selfMaskShares: [RevealedShare]
        /// Shares of dropped clients' masking private keys.
        public var maskingKeyShares: [RevealedShare]

        /// A response from `client`.
        public init(client: Int, selfMaskShares: [RevealedShare], maskingKeyShares: [RevealedShare]) {
            self.client = client
            self.selfMaskShares = selfMaskShares
            self.maskingKeyShares = maskingKeyShares
        }
    }
}
